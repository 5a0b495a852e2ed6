// SPDX-License-Identifier: GPL-2.0
// ntcorral client: build requests and parse replies of the "ntcorral" family.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "model.hpp"
#include "netlink.hpp"

namespace ntcorral {

// The run option that sets attribute `attr`, e.g. "--hold-us", or "".
std::string option_for_attr(uint32_t attr);

// NTCORRAL_CMD_LIST_EXPERIMENTS dump, optionally of one experiment.
NlMsgPtr build_list_request(int family, const std::optional<std::string>& experiment = {});

// NTCORRAL_CMD_RUN; optional fields are sent only when set.
NlMsgPtr build_run_request(int family, const RunRequest& req);

// NTCORRAL_CMD_GET_STATS (dump) or NTCORRAL_CMD_RESET_STATS (do), optionally
// narrowed to one experiment and variant.
NlMsgPtr build_stats_request(int family, uint8_t cmd,
                             const std::optional<std::string>& experiment = {},
                             const std::optional<std::string>& variant = {});

// One LIST_EXPERIMENTS reply message. Throws ReplyError.
ExperimentInfo parse_experiment(const nlmsghdr* hdr);

// One RUN reply or GET_STATS record. Throws ReplyError.
RunResult parse_result(const nlmsghdr* hdr);

} // namespace ntcorral
