// CurlDockerClient::Stream: one long-lived GET whose body is handed on as it
// arrives (the event stream, a followed log). No timeout (reference
// docker-engine-api.md §0); the caller is asked about once a second whether
// to go on. libcurl's callbacks never let an exception cross into C: what
// the caller's code throws is kept and rethrown once curl has returned.

#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "docker_backend/curl_docker_client.h"
#include "docker_backend/curl_library.h"

namespace berth::docker {
namespace {

// What the callbacks of one streamed request share.
struct StreamState {
  const std::function<bool(std::string_view)>* on_bytes = nullptr;
  const std::function<bool()>* keep_going = nullptr;
  long status = 0;
  std::string error_body;  // what a non-200 reply said
  bool cancelled = false;
  std::exception_ptr failure;  // thrown by the caller's callbacks
};

size_t NoteStatusLine(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<StreamState*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    const auto space = line.find(' ');
    if (space != std::string_view::npos) {
      state->status = std::atol(std::string(line.substr(space + 1, 3)).c_str());
    }
  }
  return size * count;
}

size_t TakeBytes(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<StreamState*>(user);
  try {
    if (state->status != 200) {
      state->error_body.append(data, size * count);
      return size * count;
    }
    if (!(*state->on_bytes)(std::string_view(data, size * count))) {
      state->cancelled = true;
      return 0;
    }
    return size * count;
  } catch (...) {
    state->failure = std::current_exception();
    return 0;
  }
}

int AskKeepGoing(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* state = static_cast<StreamState*>(user);
  try {
    if ((*state->keep_going)()) return 0;
    state->cancelled = true;
  } catch (...) {
    state->failure = std::current_exception();
  }
  return 1;
}

}  // namespace

bool CurlDockerClient::Stream(const std::string& path,
                              const std::function<bool(std::string_view)>& on_bytes,
                              const std::function<bool()>& keep_going, std::string_view broken) {
  if (api_version_.empty()) Negotiate();
  const CurlLibrary& lib = CurlLibrary::Get();
  if (curl_ == nullptr) {
    curl_ = lib.easy_init();
    if (curl_ == nullptr) {
      throw DockerError(0, "Cannot connect to the Docker daemon: curl_easy_init failed");
    }
  }
  CURL* curl = static_cast<CURL*>(curl_);
  lib.easy_reset(curl);
  const std::string url = endpoint_.base_url + "/v" + api_version_ + path;
  StreamState state;
  state.on_bytes = &on_bytes;
  state.keep_going = &keep_going;
  lib.easy_setopt(curl, CURLOPT_URL, url.c_str());
  UseEndpoint(curl);
  lib.easy_setopt(curl, CURLOPT_HEADERFUNCTION, NoteStatusLine);
  lib.easy_setopt(curl, CURLOPT_HEADERDATA, &state);
  lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, TakeBytes);
  lib.easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  lib.easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  lib.easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, AskKeepGoing);
  lib.easy_setopt(curl, CURLOPT_XFERINFODATA, &state);
  lib.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  lib.easy_setopt(curl, CURLOPT_TIMEOUT_MS, 0L);
  lib.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = lib.easy_perform(curl);
  // The handle is left with our callbacks; the next Call resets it.
  lib.easy_reset(curl);
  if (state.failure) std::rethrow_exception(state.failure);
  if (state.cancelled) return false;
  if (state.status != 0 && state.status != 200) {
    throw DockerError(static_cast<int>(state.status), DaemonMessage(state.error_body));
  }
  if (rc != CURLE_OK) {
    throw DockerError(
        0, "Cannot connect to the Docker daemon: " + std::string(broken) + lib.easy_strerror(rc));
  }
  return true;
}

}  // namespace berth::docker
