// CurlDockerClient::StreamLogs: a container's log followed over one
// long-lived request (Stream, curl_stream.cc), its body parsed as it
// arrives (log_stream.h) and handed to the caller line by line.

#include <string>
#include <string_view>

#include "docker_backend/curl_docker_client.h"
#include "docker_backend/log_stream.h"

namespace berth::docker {

bool CurlDockerClient::StreamLogs(const std::string& id, int64_t since_unix_nanos, bool follow,
                                  const std::function<void(const LogLine&)>& on_line,
                                  const std::function<bool()>& keep_going) {
  // A TTY container's log is one raw stream; the others' are frames. (This
  // also answers 404 for a missing container, in the daemon's words.)
  const bool tty = InspectContainer(id).tty;
  std::string path = "/containers/" + id + "/logs?stdout=1&stderr=1&timestamps=1";
  if (follow) path += "&follow=1";
  if (since_unix_nanos > 0) path += "&since=" + SinceParameter(since_unix_nanos);
  LogStreamParser parser(tty, on_line);
  const bool ended = Stream(
      path,
      [&](std::string_view bytes) {
        parser.Feed(bytes);
        return keep_going();
      },
      keep_going, "the log stream broke: ");
  if (!ended) return false;
  parser.Finish();
  return true;
}

}  // namespace berth::docker
