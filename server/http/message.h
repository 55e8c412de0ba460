#pragma once

// Beast-free HTTP request and response types. Everything outside server/http
// speaks these; the session converts to and from Beast's types.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::http {

// An ordered list of header fields with case-insensitive lookup.
class Headers {
 public:
  // The first value of `name`, if present.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Replaces every value of `name` with `value`.
  void Set(std::string_view name, std::string value);
  void Add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// One parsed request. `target` is the raw request-target (path and query).
struct Request {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;

  std::string_view Path() const;
  // The query string without '?', empty when there is none.
  std::string_view Query() const;
};

// One response to send. `operation` names what was served, for the access
// log (e.g. "ecs.RegisterTaskDefinition"); it is not sent.
struct Response {
  unsigned status = 200;
  Headers headers;
  std::string body;
  std::string operation;
  // Close the connection after this response (e.g. when the request body
  // could not be read completely).
  bool close = false;
};

// Case-insensitive ASCII comparison, as HTTP field names need.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace berth::http
