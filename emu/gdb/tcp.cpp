// The TCP transport of the stub (tcp.h).
#include "tcp.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sy::gdb {

std::optional<Endpoint> parse_endpoint(const std::string& spec) {
    std::string s = spec;
    if (s.rfind("tcp:", 0) == 0) s = s.substr(4);
    Endpoint e;
    const auto colon = s.rfind(':');
    std::string port = colon == std::string::npos ? s : s.substr(colon + 1);
    if (colon != std::string::npos) e.host = s.substr(0, colon);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const unsigned long v = std::stoul(port);
    if (v > 65535) return std::nullopt;
    e.port = unsigned(v);
    return e;
}

TcpServer::TcpServer(const Endpoint& e) {
    std::string host = e.host.empty() || e.host == "localhost" ? "127.0.0.1" : e.host;
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* ai = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &ai) != 0 || !ai)
        throw std::runtime_error("unknown host " + e.host);
    sockaddr_in a = *reinterpret_cast<sockaddr_in*>(ai->ai_addr);
    freeaddrinfo(ai);
    a.sin_port = htons(u16(e.port));
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error(std::string("cannot open a socket: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 1) != 0) {
        const std::string why = std::strerror(errno);
        ::close(listen_fd_);
        throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(e.port) + ": " + why);
    }
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
}

TcpServer::~TcpServer() {
    close_client();
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

void TcpServer::close_client() {
    if (client_ >= 0) ::close(client_);
    client_ = -1;
    dropped_ = false;
}

void TcpServer::send(const std::string& bytes) {
    if (client_ < 0 || dropped_) return;
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::send(client_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            dropped_ = true;
            return;
        }
        done += size_t(n);
    }
}

// Waits for a connection (or only looks, without `block`); false if none
// came (or a signal interrupted the wait).
bool TcpServer::accept_client(bool block) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, block ? -1 : 0) <= 0) return false;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return false;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // replies are small and awaited
    client_ = fd;
    dropped_ = false;
    return true;
}

void TcpServer::serve(Stub& stub, bool wait, const std::function<bool()>& host_stop) {
    if (!wait) stub.run_free();
    while (stub.state() != Stub::State::Finished) {
        if (host_stop && host_stop()) {
            stub.host_stop();
            break;
        }
        if (client_ < 0) {
            if (stub.running()) {
                // Running free: a connection stops the machine where it is.
                if (accept_client(false)) stub.connected();
                else stub.run_slice();
            } else if (accept_client(true)) {
                stub.connected();
            }
            continue;
        }
        pollfd p{client_, POLLIN, 0};
        const int r = ::poll(&p, 1, stub.running() ? 0 : -1);
        if (r > 0) {
            char buf[4096];
            const ssize_t n = ::recv(client_, buf, sizeof buf, 0);
            if (n <= 0) {
                if (n < 0 && errno == EINTR) continue;
                close_client();
                stub.disconnected();
                continue;
            }
            stub.receive(buf, size_t(n));
        } else if (r < 0) {
            continue;  // a signal: host_stop() decides
        }
        if (stub.running() && !dropped_) stub.run_slice();
        if (stub.take_detached()) close_client();
        if (dropped_) {
            close_client();
            stub.disconnected();
        }
    }
    close_client();
}

}  // namespace sy::gdb
