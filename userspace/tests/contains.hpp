// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: EXPECT_TRUE(contains(text, part)), which shows the
// whole text when the part is not in it.
#pragma once

#include <string>

#include <gtest/gtest.h>

namespace ntcorral::test {

inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\"" << part << "\" is not in:\n" << text;
}

} // namespace ntcorral::test
