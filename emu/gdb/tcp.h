// The stub over TCP (`switchyard run -gdb tcp::PORT`, `-s` for tcp::1234):
// one connection at a time; when it drops the machine stays paused and the
// next connection is accepted. Port 0 lets the system pick one; either way
// the stub says where it listens on stderr before the machine starts:
//   switchyard: gdb stub listening on tcp::PORT
#pragma once
#include <functional>
#include <optional>
#include <string>

#include "stub.h"

namespace sy::gdb {

struct Endpoint {
    std::string host;  // "" or "localhost": 127.0.0.1; "0.0.0.0" for every interface
    unsigned port = 1234;
};
// "tcp::1234", "tcp:HOST:1234", "::1234" and "1234" (QEMU's -gdb forms);
// nothing for anything else.
std::optional<Endpoint> parse_endpoint(const std::string& spec);

class TcpServer {
public:
    // Listens; throws std::runtime_error naming the problem (port in use, ...).
    explicit TcpServer(const Endpoint& e);
    ~TcpServer();
    TcpServer(const TcpServer&) = delete;
    TcpServer& operator=(const TcpServer&) = delete;
    unsigned port() const { return port_; }

    // Serves `stub` until the run ends (Stub::End says why). With `wait`
    // (-S) the machine stays paused until gdb connects; without it it runs
    // free until then. `host_stop` says when the host wants the run to end
    // (a signal, checked whenever a wait is interrupted and between slices).
    void serve(Stub& stub, bool wait, const std::function<bool()>& host_stop);
    // What the stub sends goes to the connection (nowhere without one).
    void send(const std::string& bytes);

private:
    bool accept_client(bool block);
    void close_client();
    int listen_fd_ = -1;
    int client_ = -1;
    bool dropped_ = false;  // a send failed: the connection is gone
    unsigned port_ = 0;
};

}  // namespace sy::gdb
