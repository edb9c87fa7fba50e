// What an `ingest` server (ServerConfig::role, docs/scaling.md) needs beside its control
// server: the control server's CA, a salt of its own for the streams' record ids, and a
// refusal for the API paths only the control server serves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary::app {

// FailedPrecondition naming what to copy unless <pki_dir>/ca.crt and ca.key exist: an
// ingest server must verify (and issue) the same devices' certificates as the control
// server, never make a CA of its own.
Status RequireCopiedCa(const std::string& pki_dir);

// The 64-bit salt an ingest server XORs into its streams' epochs
// (StreamManagerOptions::epoch_salt): random at the first start, kept in
// <data-dir>/epoch.salt (16 hex digits), never 0.
Result<uint64_t> LoadOrCreateEpochSalt(const std::string& data_dir);

// For a path of the HTTP API that only the control server serves (catalog, crawlers,
// ETL jobs, training, models, endpoints, transforms, monitors, forecast series): the
// message to refuse it with; nullopt for the others.
std::optional<std::string> ControlServerOnly(std::string_view path);

}  // namespace tributary::app
