// SPDX-License-Identifier: GPL-2.0
// ntcorral client: CPU lists ("0-3,5") and PCI addresses ("00:1f.3").
#include "cpulist.hpp"

#include <charconv>
#include <cstdio>

#include <ntcorral.h>

#include "error.hpp"

namespace ntcorral {

namespace {

[[noreturn]] void bad_cpu_list(std::string_view text, const std::string& reason) {
    throw UsageError("bad CPU list '" + std::string(text) + "': " + reason +
                     "; expected e.g. 0-3,6");
}

// Parse one decimal CPU number from the front of `s`, consuming it.
unsigned take_cpu(std::string_view text, std::string_view& s) {
    size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9')
        n++;
    if (n == 0) {
        if (s.empty())
            bad_cpu_list(text, "a CPU number is missing");
        bad_cpu_list(text, "'" + std::string(1, s[0]) + "' is not a CPU number");
    }
    unsigned long long v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + n, v);
    if (ec != std::errc() || v >= NTCORRAL_MAX_CPUS)
        bad_cpu_list(text, "CPU " + std::string(s.substr(0, n)) + " is beyond the limit of " +
                               std::to_string(NTCORRAL_MAX_CPUS) + " CPUs (0-" +
                               std::to_string(NTCORRAL_MAX_CPUS - 1) + ")");
    s.remove_prefix(n);
    return static_cast<unsigned>(v);
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Parse 1..maxdigits hex digits; -1 on garbage.
long parse_hex(std::string_view s, size_t maxdigits) {
    if (s.empty() || s.size() > maxdigits)
        return -1;
    long v = 0;
    for (char c : s) {
        int d = hex_digit(c);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

} // namespace

std::vector<uint64_t> parse_cpu_list(std::string_view text) {
    if (text.empty())
        bad_cpu_list(text, "it is empty");
    std::vector<uint64_t> words;
    std::string_view s = text;
    for (;;) {
        unsigned lo = take_cpu(text, s);
        unsigned hi = lo;
        if (!s.empty() && s[0] == '-') {
            s.remove_prefix(1);
            hi = take_cpu(text, s);
            if (hi < lo)
                bad_cpu_list(text, "range " + std::to_string(lo) + "-" + std::to_string(hi) +
                                       " runs backwards");
        }
        if (words.size() < hi / 64 + 1)
            words.resize(hi / 64 + 1, 0);
        for (unsigned cpu = lo; cpu <= hi; cpu++)
            words[cpu / 64] |= uint64_t{1} << (cpu % 64);
        if (s.empty())
            break;
        if (s[0] != ',')
            bad_cpu_list(text, "'" + std::string(1, s[0]) + "' is not a CPU number");
        s.remove_prefix(1);
    }
    return words;
}

std::vector<unsigned> cpus_from_bitmap(const std::vector<uint64_t>& words) {
    std::vector<unsigned> cpus;
    for (size_t w = 0; w < words.size(); w++)
        for (unsigned b = 0; b < 64; b++)
            if (words[w] & (uint64_t{1} << b))
                cpus.push_back(static_cast<unsigned>(w * 64 + b));
    return cpus;
}

std::string format_cpu_list(const std::vector<unsigned>& cpus) {
    std::string out;
    for (size_t i = 0; i < cpus.size();) {
        size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1)
            j++;
        if (!out.empty())
            out += ',';
        out += std::to_string(cpus[i]);
        if (j > i)
            out += '-' + std::to_string(cpus[j]);
        i = j + 1;
    }
    return out;
}

uint32_t parse_pci_device(std::string_view text) {
    if (text == "none")
        return NTCORRAL_PCI_DEVICE_NONE;
    auto bad = [&](const std::string& reason) -> UsageError {
        return UsageError("bad PCI device '" + std::string(text) + "': " + reason +
                          "; expected BB:DD.F in hex, e.g. 00:1f.3, or none");
    };
    std::string_view s = text;
    size_t c1 = s.find(':');
    if (c1 == std::string_view::npos)
        throw bad("no ':' between bus and device");
    size_t c2 = s.find(':', c1 + 1);
    if (c2 != std::string_view::npos) { // domain:bus:dev.fn
        long domain = parse_hex(s.substr(0, c1), 4);
        if (domain < 0)
            throw bad("the domain is not hex");
        if (domain != 0)
            throw bad("only PCI domain 0000 is supported");
        s.remove_prefix(c1 + 1);
        c1 = c2 - c1 - 1;
    }
    size_t dot = s.find('.', c1 + 1);
    if (dot == std::string_view::npos)
        throw bad("no '.' between device and function");
    long bus = parse_hex(s.substr(0, c1), 2);
    long dev = parse_hex(s.substr(c1 + 1, dot - c1 - 1), 2);
    long fn = parse_hex(s.substr(dot + 1), 1);
    if (bus < 0)
        throw bad("the bus is not 1-2 hex digits");
    if (dev < 0 || dev > 0x1f)
        throw bad("the device must be 00-1f");
    if (fn < 0 || fn > 7)
        throw bad("the function must be 0-7");
    return static_cast<uint32_t>((bus << 8) | (dev << 3) | fn);
}

std::string format_pci_device(uint32_t bdf) {
    if (bdf == NTCORRAL_PCI_DEVICE_NONE)
        return "none";
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%02x:%02x.%x", (bdf >> 8) & 0xff, (bdf >> 3) & 0x1f, bdf & 7);
    return buf;
}

} // namespace ntcorral
