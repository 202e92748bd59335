// Machi plugin SDK: include this one header.
#pragma once

#include "machi/sdk/csv.h"
#include "machi/sdk/dates.h"
#include "machi/sdk/host.h"
#include "machi/sdk/json.h"
#include "machi/sdk/plugin.h"
#include "machi/sdk/request.h"
#include "machi/sdk/storage.h"
