#pragma once

// What the dashboard shows of one task: a compact row made from the task's
// DescribeTasks document, Berth's local record of it and which of its
// containers send their output to CloudWatch Logs (awslogs). Only the fields
// the page displays travel, so a snapshot of a thousand tasks stays small.
//
// Thread-safety: pure functions.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::dashboard {

// The row of one task:
//   {id, cluster, family, revision, group, startedBy, launchType, lastStatus,
//    desiredStatus, health, createdAt, startedAt, stoppingAt, stoppedAt,
//    stopCode, stoppedReason, cpu, memory, notHonoured (how many notes),
//    containers: [{name, image, lastStatus, exitCode, reason, health,
//                  awslogs, ports: [{containerPort, hostPort, protocol, url}]}]}
// Members the document lacks are left out. `url` is where a published TCP
// port answers on this machine (http://127.0.0.1:<hostPort>/, or the
// binding's IPv6 address).
nlohmann::json TaskRow(const nlohmann::json& document, const nlohmann::json& runtime,
                       const std::vector<std::string>& awslogs_containers);

// The last part of an ARN ("arn:…:cluster/web" → "web"); the text itself
// when it has no '/'.
std::string ArnName(const std::string& arn);

// Copies document[key] into out[key] when present and not null.
void CopyMember(const nlohmann::json& document, const char* key, nlohmann::json& out);

}  // namespace berth::dashboard
