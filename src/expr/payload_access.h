// Internal to expr/ and rules/: reaching into a Message's parsed payload (simdjson
// DOM) and converting DOM elements to Values or appending them as compact JSON.
// Same thread-safety as Message.
#pragma once

#include <simdjson.h>

#include <string>

#include "expr/message.h"
#include "expr/value.h"

namespace tributary::expr {

class PayloadAccess {
 public:
  // The payload's root element, parsing it on first use; nullptr if not JSON.
  static const simdjson::dom::element* Root(const Message& m, simdjson::dom::element* slot);
};

// Whether `e` stands for a payload number beyond a double's range (1e400): Undefined, as
// DomToValue gives it, left out by AppendDomJson.
bool IsOutOfRangeNumber(simdjson::dom::element e);
// A DOM element as a Value (whole-number doubles become Int, as in SQL 2016-03-23).
Value DomToValue(simdjson::dom::element e);
// Appends the compact JSON of a DOM element; an integer from 2^63 to 2^64 - 1 as it came
// (DomToValue gives only the nearest Decimal).
void AppendDomJson(simdjson::dom::element e, std::string* out);

}  // namespace tributary::expr
