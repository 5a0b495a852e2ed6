// SPDX-License-Identifier: GPL-2.0
// ntcorral client: build requests and parse replies of the "ntcorral" family.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"
#include "netlink.hpp"

namespace ntcorral {

// The option that sets parameter `param` (a name LIST gives): "--" and the
// name, '_' as '-' ("hold_us": "--hold-us").
std::string option_name(std::string_view param);

// The run option that sets RUN attribute `attr`: --cpus, --pci-device, or
// the option of the parameter of `params` it is (option_name()); "" for
// none.
std::string option_for_attr(uint32_t attr, const std::vector<ParamInfo>& params);

// NTCORRAL_CMD_LIST_EXPERIMENTS dump, optionally of one experiment.
NlMsgPtr build_list_request(int family, const std::optional<std::string>& experiment = {});

// NTCORRAL_CMD_RUN; optional fields are sent only when set.
NlMsgPtr build_run_request(int family, const RunRequest& req);

// NTCORRAL_CMD_GET_STATS (dump) or NTCORRAL_CMD_RESET_STATS (do), optionally
// narrowed to one experiment and variant.
NlMsgPtr build_stats_request(int family, uint8_t cmd,
                             const std::optional<std::string>& experiment = {},
                             const std::optional<std::string>& variant = {});

// NTCORRAL_CMD_GET_RESULT (do): the last finished run's RUN_RESULT, or
// only run_id's.
NlMsgPtr build_get_result_request(int family, std::optional<uint64_t> run_id = {});

// NTCORRAL_CMD_CANCEL (do): the run in progress, or only run_id.
NlMsgPtr build_cancel_request(int family, std::optional<uint64_t> run_id = {});

// The generic netlink command of a message of the family.
uint8_t message_cmd(const nlmsghdr* hdr);

// The NTCORRAL_A_RUN_ID a message carries, if any; validates nothing else,
// so that another run's message is told apart before it is parsed.
std::optional<uint64_t> message_run_id(const nlmsghdr* hdr);

// One LIST_EXPERIMENTS reply message. Throws ReplyError.
ExperimentInfo parse_experiment(const nlmsghdr* hdr);

// A GET_STATS record, or the result layout of a RUN_RESULT. Throws
// ReplyError.
RunResult parse_result(const nlmsghdr* hdr);

// RUN's reply. Throws ReplyError.
RunStarted parse_run_started(const nlmsghdr* hdr);

// A RUN_PROGRESS notification. Throws ReplyError.
RunProgress parse_progress(const nlmsghdr* hdr);

// A RUN_RESULT notification or GET_RESULT reply: the result (its
// CANCELLED too), or the failure of a run that failed after it started.
// Throws ReplyError.
RunEnd parse_run_end(const nlmsghdr* hdr);

// Whether `hdr` is nlctrl's notification that `family` was unregistered
// (CTRL_CMD_DELFAMILY on its "notify" group): the module is gone.
bool family_deleted(const nlmsghdr* hdr, int family);

} // namespace ntcorral
