#include "nats/protocol.h"

#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

namespace tributary::nats {
namespace {

// INFO lines carry the cluster's URLs and can be long; anything past this is not NATS.
constexpr size_t kMaxControlLine = 1u << 20;
// A buffer left this large by one big message is given back once it is empty.
constexpr size_t kKeepBufferBytes = 4u << 20;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::vector<std::string_view> SplitArgs(std::string_view s) {
  std::vector<std::string_view> args;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsBlank(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !IsBlank(s[i])) ++i;
    if (i > start) args.push_back(s.substr(start, i - start));
  }
  return args;
}

bool ParseSize(std::string_view s, uint64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

bool OpIs(std::string_view op, std::string_view want) {
  if (op.size() != want.size()) return false;
  for (size_t i = 0; i < op.size(); ++i) {
    char c = op[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != want[i]) return false;
  }
  return true;
}

Status BadLine(std::string_view why, std::string_view line) {
  return ProtocolError("NATS server sent " + std::string(why) + ": '" +
                       std::string(line.substr(0, 200)) + "'");
}

void AppendNumber(std::string* out, uint64_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n);
  out->append(digits, end);
}

}  // namespace

char* Parser::Reserve(size_t min) {
  if (pos_ == size_) {
    pos_ = size_ = 0;
    if (buf_.size() > kKeepBufferBytes) buf_ = std::string();
  }
  if (buf_.size() - size_ < min && pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, size_ - pos_);
    size_ -= pos_;
    pos_ = 0;
  }
  if (buf_.size() - size_ < min) buf_.resize(std::max(size_ + min, buf_.size() * 2));
  return buf_.data() + size_;
}

Status Parser::Commit(size_t n, std::vector<ServerOp>* ops) {
  size_ += n;
  while (pos_ < size_) {
    const char* p = buf_.data() + pos_;
    size_t avail = size_ - pos_;
    if (in_payload_) {
      if (avail < total_bytes_ + 2) break;
      if (p[total_bytes_] != '\r' || p[total_bytes_ + 1] != '\n') {
        return ProtocolError("NATS message payload for '" + pending_.msg.subject +
                             "' is not followed by CRLF");
      }
      if (header_bytes_ > 0)
        TRY(ParseHeaderBlock(std::string_view(p, header_bytes_), &pending_.msg));
      pending_.msg.data.assign(p + header_bytes_, total_bytes_ - header_bytes_);
      ops->push_back(std::move(pending_));
      pending_ = ServerOp();
      pos_ += total_bytes_ + 2;
      in_payload_ = false;
      continue;
    }
    const void* nl = std::memchr(p + scanned_, '\n', avail - scanned_);
    if (nl == nullptr) {
      scanned_ = avail;
      if (scanned_ > kMaxControlLine)
        return BadLine("a control line over 1 MiB", std::string_view(p, 80));
      break;
    }
    size_t len = static_cast<const char*>(nl) - p;
    std::string_view line(p, len);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ += len + 1;
    scanned_ = 0;
    TRY(ParseControlLine(line, ops));
  }
  return Status::Ok();
}

Status Parser::Feed(std::string_view bytes, std::vector<ServerOp>* ops) {
  if (bytes.empty()) return Status::Ok();
  std::memcpy(Reserve(bytes.size()), bytes.data(), bytes.size());
  return Commit(bytes.size(), ops);
}

void Parser::Reset() {
  buf_ = std::string();
  size_ = pos_ = scanned_ = 0;
  in_payload_ = false;
  pending_ = ServerOp();
}

Status Parser::ParseControlLine(std::string_view line, std::vector<ServerOp>* ops) {
  size_t i = 0;
  while (i < line.size() && !IsBlank(line[i])) ++i;
  std::string_view op = line.substr(0, i);
  std::string_view rest = line.substr(i);
  while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);

  if (OpIs(op, "MSG") || OpIs(op, "HMSG")) {
    bool headers = op.size() == 4;
    auto args = SplitArgs(rest);
    size_t fixed = headers ? 4 : 3;  // subject sid [reply] sizes...
    if (args.size() != fixed && args.size() != fixed + 1)
      return BadLine("a malformed message line", line);
    uint64_t sid = 0, hdr = 0, total = 0;
    bool ok = ParseSize(args[1], &sid) && ParseSize(args.back(), &total) &&
              (!headers || ParseSize(args[args.size() - 2], &hdr));
    if (!ok || hdr > total) return BadLine("a malformed message line", line);
    if (total > kMaxParsedMessageBytes) return BadLine("a message over 64 MiB", line);
    pending_ = ServerOp();
    pending_.kind = OpKind::kMsg;
    pending_.sid = sid;
    pending_.msg.subject = std::string(args[0]);
    if (args.size() == fixed + 1) pending_.msg.reply = std::string(args[2]);
    header_bytes_ = hdr;
    total_bytes_ = total;
    in_payload_ = true;
    return Status::Ok();
  }
  ServerOp out;
  if (OpIs(op, "PING")) {
    out.kind = OpKind::kPing;
  } else if (OpIs(op, "PONG")) {
    out.kind = OpKind::kPong;
  } else if (OpIs(op, "+OK")) {
    out.kind = OpKind::kOk;
  } else if (OpIs(op, "-ERR")) {
    out.kind = OpKind::kErr;
    if (rest.size() >= 2 && rest.front() == '\'' && rest.back() == '\'')
      rest = rest.substr(1, rest.size() - 2);
    out.text = std::string(rest);
  } else if (OpIs(op, "INFO")) {
    out.kind = OpKind::kInfo;
    out.text = std::string(rest);
  } else {
    return BadLine("an unknown operation", line);
  }
  ops->push_back(std::move(out));
  return Status::Ok();
}

Result<ServerInfo> ParseServerInfo(std::string_view json) {
  try {
    auto j = nlohmann::json::parse(json);
    ServerInfo info;
    info.server_id = j.value("server_id", "");
    info.version = j.value("version", "");
    // An integer; one past int64 (or a fraction) is a JSON float, which converts to an
    // integer only within range.
    if (auto mp = j.find("max_payload"); mp != j.end()) {
      if (mp->is_number_unsigned()) {
        if (uint64_t v = mp->get<uint64_t>(); v > 0) info.max_payload = static_cast<size_t>(v);
      } else if (!mp->is_number_integer()) {
        return ProtocolError("NATS server sent an INFO whose max_payload is not an integer: " +
                             mp->dump());
      }
    }
    info.headers = j.value("headers", false);
    info.jetstream = j.value("jetstream", false);
    info.tls_required = j.value("tls_required", false);
    info.tls_available = j.value("tls_available", false);
    info.auth_required = j.value("auth_required", false);
    info.nonce = j.value("nonce", "");
    if (auto urls = j.find("connect_urls"); urls != j.end() && urls->is_array()) {
      for (const auto& u : *urls) {
        if (u.is_string()) info.connect_urls.push_back(u.get<std::string>());
      }
    }
    return info;
  } catch (const nlohmann::json::exception& e) {
    return ProtocolError(std::string("NATS server sent an INFO that is not valid JSON: ") +
                         e.what());
  }
}

std::string EncodeConnect(const ConnectOptions& options, const SignedNonce* identity) {
  nlohmann::json j = {{"verbose", false},      {"pedantic", false},     {"headers", true},
                      {"no_responders", true}, {"protocol", 1},         {"name", options.name},
                      {"lang", "cpp"},         {"version", "tributary"}};
  if (!options.user.empty()) {
    j["user"] = options.user;
    j["pass"] = options.password;
  }
  if (!options.token.empty()) j["auth_token"] = options.token;
  if (!options.echo) j["echo"] = false;
  if (identity != nullptr) {
    if (!identity->jwt.empty()) j["jwt"] = identity->jwt;
    if (!identity->nkey.empty()) j["nkey"] = identity->nkey;
    j["sig"] = identity->sig;
  }
  return "CONNECT " + j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\r\n";
}

Status ValidateSubject(std::string_view subject, bool wildcards_allowed) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("NATS subject '" + std::string(subject.substr(0, 200)) + "' " +
                           std::string(why));
  };
  if (subject.empty()) return InvalidArgument("NATS subject is empty");
  for (char c : subject) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return bad("holds a blank or control character");
  }
  size_t start = 0;
  while (true) {
    size_t dot = subject.find('.', start);
    std::string_view token =
        subject.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (token.empty()) return bad("has an empty token (leading, trailing or doubled '.')");
    if (token == "*" || token == ">") {
      if (!wildcards_allowed) return bad("holds a wildcard: publishing needs a literal subject");
      if (token == ">" && dot != std::string_view::npos)
        return bad("has '>' before its last token");
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return Status::Ok();
}

void AppendPub(std::string* out, std::string_view subject, std::string_view reply,
               std::string_view header_block, std::string_view data) {
  out->append(header_block.empty() ? "PUB " : "HPUB ");
  out->append(subject);
  out->push_back(' ');
  if (!reply.empty()) {
    out->append(reply);
    out->push_back(' ');
  }
  if (!header_block.empty()) {
    AppendNumber(out, header_block.size());
    out->push_back(' ');
  }
  AppendNumber(out, header_block.size() + data.size());
  out->append("\r\n");
  out->append(header_block);
  out->append(data);
  out->append("\r\n");
}

void AppendSub(std::string* out, std::string_view subject, std::string_view queue_group,
               uint64_t sid) {
  out->append("SUB ");
  out->append(subject);
  out->push_back(' ');
  if (!queue_group.empty()) {
    out->append(queue_group);
    out->push_back(' ');
  }
  AppendNumber(out, sid);
  out->append("\r\n");
}

void AppendUnsub(std::string* out, uint64_t sid) {
  out->append("UNSUB ");
  AppendNumber(out, sid);
  out->append("\r\n");
}

}  // namespace tributary::nats
