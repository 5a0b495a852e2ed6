// SPDX-License-Identifier: GPL-2.0
// ntcorral client: CPU lists ("0-3,5") and PCI addresses ("00:1f.3").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ntcorral {

// Parse "0-3,5,8-9" into a CPU bitmap of u64 words in host order, bit n = CPU n,
// as NTCORRAL_A_CPUS wants it; just as many words as the highest CPU needs.
// Throws UsageError("bad CPU list '...': <reason>; expected e.g. 0-3,6").
std::vector<uint64_t> parse_cpu_list(std::string_view text);

// The CPUs set in a bitmap, ascending.
std::vector<unsigned> cpus_from_bitmap(const std::vector<uint64_t>& words);

// "0-3,5,8-9" for {0,1,2,3,5,8,9}; "" for none. Input must be ascending.
std::string format_cpu_list(const std::vector<unsigned>& cpus);

// Parse "BB:DD.F" (hex, optionally "0000:" in front) into (bus << 8) | (dev << 3) | fn.
// Throws UsageError.
uint32_t parse_pci_device(std::string_view text);

// "00:1f.3" for 0x00fb.
std::string format_pci_device(uint32_t bdf);

} // namespace ntcorral
