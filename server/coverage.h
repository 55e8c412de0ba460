#pragma once

// Which operations of the ECR, ECS and CloudWatch Logs models Berth emulates,
// as the Markdown the README carries between its "operations" markers (`berth
// --list-operations` prints it; a unit test keeps the README in sync).

#include <string>

namespace berth {

std::string OperationsMarkdown();

}  // namespace berth
