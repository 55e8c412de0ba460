// CurlDockerClient::StreamLogs: a container's log followed over one
// long-lived request (never a timeout: reference docker-engine-api.md §0),
// its body parsed as it arrives (log_stream.h) and handed to the caller from
// libcurl's callbacks, which never let an exception cross into C.

#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "docker_backend/curl_docker_client.h"
#include "docker_backend/curl_library.h"
#include "docker_backend/log_stream.h"

namespace berth::docker {
namespace {

// What the callbacks of one logs request share.
struct LogRequest {
  LogStreamParser* parser = nullptr;
  const std::function<bool()>* keep_going = nullptr;
  long status = 0;
  std::string error_body;  // what a non-200 reply said
  bool cancelled = false;
  std::exception_ptr failure;  // thrown by the parser or the caller's callbacks
};

size_t NoteLogStatus(char* data, size_t size, size_t count, void* user) {
  auto* request = static_cast<LogRequest*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    const auto space = line.find(' ');
    if (space != std::string_view::npos) {
      request->status = std::atol(std::string(line.substr(space + 1, 3)).c_str());
    }
  }
  return size * count;
}

size_t TakeLogBytes(char* data, size_t size, size_t count, void* user) {
  auto* request = static_cast<LogRequest*>(user);
  try {
    if (request->status != 200) {
      request->error_body.append(data, size * count);
      return size * count;
    }
    request->parser->Feed(std::string_view(data, size * count));
    if (!(*request->keep_going)()) {
      request->cancelled = true;
      return 0;
    }
    return size * count;
  } catch (...) {  // never let an exception cross into C
    request->failure = std::current_exception();
    return 0;
  }
}

int AskKeepGoing(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* request = static_cast<LogRequest*>(user);
  try {
    if ((*request->keep_going)()) return 0;
    request->cancelled = true;
  } catch (...) {
    request->failure = std::current_exception();
  }
  return 1;
}

}  // namespace

bool CurlDockerClient::StreamLogs(const std::string& id, int64_t since_unix_nanos, bool follow,
                                  const std::function<void(const LogLine&)>& on_line,
                                  const std::function<bool()>& keep_going) {
  // A TTY container's log is one raw stream; the others' are frames. (This
  // also answers 404 for a missing container, in the daemon's words.)
  const bool tty = InspectContainer(id).tty;
  std::string path = "/containers/" + id + "/logs?stdout=1&stderr=1&timestamps=1";
  if (follow) path += "&follow=1";
  if (since_unix_nanos > 0) path += "&since=" + SinceParameter(since_unix_nanos);

  const CurlLibrary& lib = CurlLibrary::Get();
  CURL* curl = static_cast<CURL*>(curl_);  // made by the inspect above
  lib.easy_reset(curl);
  const std::string url = endpoint_.base_url + "/v" + api_version_ + path;
  LogStreamParser parser(tty, on_line);
  LogRequest request;
  request.parser = &parser;
  request.keep_going = &keep_going;
  lib.easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (!endpoint_.unix_socket.empty()) {
    lib.easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, endpoint_.unix_socket.c_str());
  }
  lib.easy_setopt(curl, CURLOPT_HEADERFUNCTION, NoteLogStatus);
  lib.easy_setopt(curl, CURLOPT_HEADERDATA, &request);
  lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, TakeLogBytes);
  lib.easy_setopt(curl, CURLOPT_WRITEDATA, &request);
  lib.easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  lib.easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, AskKeepGoing);
  lib.easy_setopt(curl, CURLOPT_XFERINFODATA, &request);
  lib.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  lib.easy_setopt(curl, CURLOPT_TIMEOUT_MS, 0L);
  lib.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = lib.easy_perform(curl);
  // The handle is left with our callbacks; the next Call resets it.
  lib.easy_reset(curl);
  if (request.failure) std::rethrow_exception(request.failure);
  if (request.cancelled) return false;
  if (request.status != 0 && request.status != 200) {
    throw DockerError(static_cast<int>(request.status), DaemonMessage(request.error_body));
  }
  if (rc != CURLE_OK) {
    throw DockerError(0,
                      std::string("Cannot connect to the Docker daemon: the log stream broke: ") +
                          lib.easy_strerror(rc));
  }
  parser.Finish();
  return true;
}

}  // namespace berth::docker
