// SPDX-License-Identifier: GPL-2.0
// ntcorral client: entry point.
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
    return ntcorral::run_main(argc, argv, std::cout, std::cerr);
}
