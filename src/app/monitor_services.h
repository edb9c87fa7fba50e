// The drift monitors' view of the server (monitor/services.h), over its catalog, lake,
// training jobs and model hosting. Built by Server::Init; lives as long as the server.
#pragma once

#include <memory>

#include "monitor/services.h"

namespace tributary::app {

class Server;

std::unique_ptr<monitor::MonitorServices> MakeMonitorServices(Server* server);

}  // namespace tributary::app
