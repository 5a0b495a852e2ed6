// SPDX-License-Identifier: GPL-2.0
// ntcorral client tests: CPU lists and PCI addresses.
#include <gtest/gtest.h>

#include <ntcorral.h>

#include "cpulist.hpp"
#include "error.hpp"

using namespace ntcorral;

TEST(CpuList, single_cpu_sets_one_bit) {
    EXPECT_EQ(parse_cpu_list("0"), std::vector<uint64_t>{1});
    EXPECT_EQ(parse_cpu_list("5"), std::vector<uint64_t>{1u << 5});
}

TEST(CpuList, ranges_and_singles_combine) {
    auto w = parse_cpu_list("0-3,5,8-9");
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w[0], 0x32fu);
    EXPECT_EQ(cpus_from_bitmap(w), (std::vector<unsigned>{0, 1, 2, 3, 5, 8, 9}));
}

TEST(CpuList, words_grow_to_highest_cpu_only) {
    auto w = parse_cpu_list("63");
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w[0], uint64_t{1} << 63);
    w = parse_cpu_list("64");
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[0], 0u);
    EXPECT_EQ(w[1], 1u);
    w = parse_cpu_list("62-65");
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[0], uint64_t{3} << 62);
    EXPECT_EQ(w[1], 3u);
}

TEST(CpuList, duplicates_and_overlaps_are_fine) {
    EXPECT_EQ(parse_cpu_list("1,1,0-2,2"), std::vector<uint64_t>{7});
}

TEST(CpuList, last_allowed_cpu_is_max_minus_one) {
    auto w = parse_cpu_list("1023");
    ASSERT_EQ(w.size(), NTCORRAL_MAX_CPUS / 64u);
    EXPECT_EQ(w.back(), uint64_t{1} << 63);
    EXPECT_EQ(parse_cpu_list("0-1023").size() * 8, size_t{NTCORRAL_CPUS_MAX_BYTES});
}

TEST(CpuList, cpu_beyond_max_is_rejected) {
    EXPECT_THROW(parse_cpu_list("1024"), UsageError);
    EXPECT_THROW(parse_cpu_list("0-1024"), UsageError);
    EXPECT_THROW(parse_cpu_list("99999999999999999999999"), UsageError);
}

TEST(CpuList, garbage_is_rejected_with_reason_and_example) {
    for (const char* bad : {"", ",", "1,", ",1", "1,,2", "a", "1-", "-1", "1-2-3", "3-1", " 1",
                            "1 ", "0x1", "1;2", "+1"})
        EXPECT_THROW(parse_cpu_list(bad), UsageError) << "'" << bad << "'";
    try {
        parse_cpu_list("3-1");
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(), "bad CPU list '3-1': range 3-1 runs backwards; expected e.g. 0-3,6");
    }
    try {
        parse_cpu_list("");
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(), "bad CPU list '': it is empty; expected e.g. 0-3,6");
    }
    try {
        parse_cpu_list("2048");
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("beyond the limit of 1024 CPUs"), std::string::npos);
    }
}

TEST(CpuList, format_collapses_runs) {
    EXPECT_EQ(format_cpu_list({0, 1, 2, 3, 5, 8, 9}), "0-3,5,8-9");
    EXPECT_EQ(format_cpu_list({7}), "7");
    EXPECT_EQ(format_cpu_list({}), "");
    EXPECT_EQ(format_cpu_list(cpus_from_bitmap(parse_cpu_list("1-2,64-66"))), "1-2,64-66");
}

TEST(PciDevice, parses_bus_device_function) {
    EXPECT_EQ(parse_pci_device("00:00.0"), 0x0000u);
    EXPECT_EQ(parse_pci_device("00:1f.3"), (0u << 8) | (0x1fu << 3) | 3u);
    EXPECT_EQ(parse_pci_device("00:1f.3"), 0x00fbu);
    EXPECT_EQ(parse_pci_device("ff:1f.7"), 0xffffu);
    EXPECT_EQ(parse_pci_device("3a:02.1"), 0x3a11u);
    EXPECT_EQ(parse_pci_device("3A:2.1"), 0x3a11u);
    EXPECT_EQ(parse_pci_device("0000:01:00.0"), 0x0100u);
    EXPECT_EQ(parse_pci_device("none"), uint32_t(NTCORRAL_PCI_DEVICE_NONE));
    EXPECT_EQ(format_pci_device(NTCORRAL_PCI_DEVICE_NONE), "none");
}

TEST(PciDevice, rejects_out_of_range_and_garbage) {
    for (const char* bad : {"", "00", "00:00", "00.0", "00:20.0", "00:00.8", "100:00.0", "0g:00.0",
                            "00:00.", ":00.0", "0001:00:00.0", "00:00.0x"})
        EXPECT_THROW(parse_pci_device(bad), UsageError) << "'" << bad << "'";
}

TEST(PciDevice, format_round_trips) {
    EXPECT_EQ(format_pci_device(0x00fb), "00:1f.3");
    EXPECT_EQ(format_pci_device(parse_pci_device("3a:02.1")), "3a:02.1");
}
