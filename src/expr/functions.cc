#include "expr/functions.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <random>

#include "base/aws_arn.h"
#include "base/base64.h"
#include "base/ids.h"
#include "base/utf8.h"
#include "expr/civil_time.h"
#include "expr/conversions.h"
#include "expr/hash_functions.h"
#include "expr/operators.h"
#include "expr/regexp_functions.h"
#include "expr/string_functions.h"
#include "expr/time_format.h"
#include "expr/time_parse.h"
#include "mqtt/packet.h"

namespace tributary::expr {
namespace {

using Args = const Value*;

// ---- message ----

Value Topic(Args a, size_t n, const Message& m) {
  if (n == 0) return Value::String(std::string(m.topic));
  auto level = ToIntFloor(a[0]);
  if (!level || *level < 1) return Value();
  std::string_view t = m.topic;
  for (int64_t i = 1;; ++i) {
    size_t slash = t.find('/');
    if (i == *level) return Value::String(std::string(t.substr(0, slash)));
    if (slash == std::string_view::npos) return Value();
    t.remove_prefix(slash + 1);
  }
}
Value ClientId(Args, size_t, const Message& m) {
  return Value::String(std::string(m.ClientIdOrNa()));
}
Value Timestamp(Args, size_t, const Message& m) { return Value::Int(m.received_at_ms); }
Value Principal(Args, size_t, const Message& m) {
  return m.principal.empty() ? Value() : Value::String(std::string(m.principal));
}
Value TraceId(Args, size_t, const Message& m) {
  std::string_view id = m.TraceId();
  return id.empty() ? Value() : Value::String(std::string(id));
}
Value SourceIp(Args, size_t, const Message& m) {
  return m.source_ip.empty() ? Value() : Value::String(std::string(m.source_ip));
}
// get_thing_shadow(thing, roleArn) and get_thing_shadow(thing, shadow, roleArn): the
// thing's classic or named shadow as GetThingShadow answers it (state, metadata,
// version, timestamp), Undefined when there is none. The role is AWS's way to grant the
// read; here the rule's own server reads its store, so any string does.
bool IsShadowNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
         c == '-';
}
bool IsThingName(const std::string& s) {
  return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), IsShadowNameChar);
}
// A document of the ExternalState as a Value: read once per message under `key` (kept in
// Message::external_reads, so every expression of every rule sees the same version), by
// `read` the first time; Undefined when there is none or it is not JSON.
template <typename Read>
Value ReadExternal(const Message& m, const std::string& key, Read read) {
  const std::optional<std::string>* doc = nullptr;
  for (const auto& [name, answer] : m.external_reads) {
    if (name == key) doc = &answer;
  }
  if (doc == nullptr) doc = &m.external_reads.emplace_back(key, read()).second;
  if (!*doc) return Value();
  Result<Value> v = ValueFromJson(**doc);
  return v.ok() ? std::move(*v) : Value();
}
Value GetThingShadow(Args a, size_t n, const Message& m) {
  if (m.external == nullptr) return Value();
  for (size_t i = 0; i < n; ++i) {
    if (!a[i].is_string()) return Value();
  }
  const std::string& thing = a[0].as_string();
  const std::string shadow = n == 3 ? a[1].as_string() : std::string();
  if (!IsThingName(thing) || (n == 3 && (shadow.size() > 64 || !IsThingName(shadow)))) return Value();
  return ReadExternal(m, thing + "/" + shadow,
                      [&] { return m.external->ThingShadow(thing, shadow); });
}
// get_registry_data('DescribeThing', thing, roleArn): the thing as AWS IoT's DescribeThing
// answers it (its attributes ...), Undefined when there is none. AWS's other registry
// call, 'ListThingGroupsForThing', has nothing to read here: the registry has no groups.
constexpr char kDescribeThing[] = "DescribeThing";
Value GetRegistryData(Args a, size_t, const Message& m) {
  if (m.external == nullptr || !a[0].is_string() || !a[1].is_string() || !a[2].is_string())
    return Value();
  if (a[0].as_string() != kDescribeThing || !IsThingName(a[1].as_string())) return Value();
  return ReadExternal(m, std::string(kDescribeThing) + " " + a[1].as_string(),
                      [&] { return m.external->RegistryThing(a[1].as_string()); });
}
Status CheckGetRegistryDataLiteral(size_t index, size_t, const Value& literal) {
  if (index == 0) {
    if (literal.is_string() && literal.as_string() == "ListThingGroupsForThing") {
      return InvalidArgument(
          "'ListThingGroupsForThing': the registry has no thing groups; 'DescribeThing' "
          "reads a thing and its attributes");
    }
    if (!literal.is_string() || literal.as_string() != kDescribeThing) {
      return InvalidArgument(literal.ToJson() + " is not a registry call ('DescribeThing')");
    }
  }
  if (index == 1 && (!literal.is_string() || !IsThingName(literal.as_string()))) {
    return InvalidArgument(literal.ToJson() +
                           " is not a thing name (1..128 of letters, digits, ':', '_' and '-')");
  }
  if (index == 2 && !literal.is_string())
    return InvalidArgument(literal.ToJson() + " is not a string (a role ARN)");
  return Status::Ok();
}
Status CheckGetThingShadowLiteral(size_t index, size_t count, const Value& literal) {
  if (index == 0 && (!literal.is_string() || !IsThingName(literal.as_string()))) {
    return InvalidArgument(literal.ToJson() + " is not a thing name (1..128 of letters, digits, ':', '_' and '-')");
  }
  if (index == 1 && count == 3 &&
      (!literal.is_string() || literal.as_string().size() > 64 || !IsThingName(literal.as_string()))) {
    return InvalidArgument(literal.ToJson() + " is not a shadow name (1..64 of letters, digits, ':', '_' and '-')");
  }
  if (!literal.is_string()) return InvalidArgument(literal.ToJson() + " is not a string (a role ARN)");
  return Status::Ok();
}
// get_mqtt_property('content_type' | 'format_indicator' | 'response_topic' |
// 'correlation_data'): Undefined when the message does not carry it.
Value GetMqttProperty(Args a, size_t, const Message& m) {
  if (m.properties == nullptr || !a[0].is_string()) return Value();
  const mqtt::Properties& p = *m.properties;
  const std::string& name = a[0].as_string();
  if (name == "content_type" && p.content_type) return Value::String(*p.content_type);
  if (name == "response_topic" && p.response_topic) return Value::String(*p.response_topic);
  if (name == "correlation_data" && p.correlation_data) {
    return Value::String(Base64Encode(*p.correlation_data));
  }
  if (name == "format_indicator" && p.payload_format_indicator) {
    return Value::String(*p.payload_format_indicator == 1 ? "UTF8_DATA" : "UNSPECIFIED_BYTES");
  }
  return Value();
}
// get_user_properties(key): the values of every user property named `key`, in order.
Value GetUserProperties(Args a, size_t, const Message& m) {
  if (m.properties == nullptr || !a[0].is_string()) return Value();
  Array values;
  for (const auto& [key, value] : m.properties->user_properties) {
    if (key == a[0].as_string()) values.push_back(Value::String(value));
  }
  return values.empty() ? Value() : Value::MakeArray(std::move(values));
}
Value NewUuidFn(Args, size_t, const Message&) { return Value::String(NewUuid()); }
Value SqlVersion(Args, size_t, const Message&) { return Value::String("2016-03-23"); }
// The account every ARN the server gives names (base/aws_arn.h).
Value AccountId(Args, size_t, const Message&) { return Value::String(std::string(kAwsAccountId)); }

// ---- numbers ----

Value Abs(Args a, size_t, const Message&) {
  if (a[0].is_int()) {
    int64_t v = a[0].as_int();
    if (v == INT64_MIN) return Value::Decimal(-static_cast<double>(v));
    return Value::Int(v < 0 ? -v : v);
  }
  if (!a[0].is_decimal() && !a[0].is_string()) return Value();
  auto d = ToDecimal(a[0]);
  return d ? FiniteDecimal(std::fabs(*d)) : Value();
}

template <double (*F)(double)>
Value RoundTo(Args a, size_t, const Message&) {
  if (a[0].is_int()) return a[0];
  if (!a[0].is_decimal() && !a[0].is_string()) return Value();
  auto d = ToDecimal(a[0]);
  if (!d || !std::isfinite(*d)) return Value();
  return NormalizeDecimal(F(*d));
}

Value Sign(Args a, size_t, const Message&) {
  if (!a[0].is_number() && !a[0].is_string()) return Value();
  auto d = ToDecimal(a[0]);
  if (!d || std::isnan(*d)) return Value();
  return Value::Int(*d > 0 ? 1 : (*d < 0 ? -1 : 0));
}

// Truncates toward zero to `places` decimal places on the shortest decimal text of the
// double, so 2.3123 -> 2.31 without binary rounding surprises.
Value Trunc(Args a, size_t, const Message&) {
  if (!(a[0].is_number() || a[0].is_string()) || !(a[1].is_number() || a[1].is_string())) {
    return Value();
  }
  if (a[0].is_int()) return a[0];
  auto d = ToDecimal(a[0]);
  auto places = ToIntFloorClamped(a[1]);
  if (!d || !places || !std::isfinite(*d)) return Value();
  int64_t p = std::clamp<int64_t>(*places, 0, 34);
  char buf[40];
  auto res = std::to_chars(buf, buf + sizeof buf, *d, std::chars_format::fixed);
  if (res.ec != std::errc()) {  // very large: no fraction to cut
    return NormalizeDecimal(std::trunc(*d));
  }
  std::string s(buf, res.ptr);
  size_t dot = s.find('.');
  if (dot != std::string::npos) {
    s.resize(std::min(s.size(), dot + 1 + static_cast<size_t>(p)));
    if (s.back() == '.') s.pop_back();
  }
  double out = 0;
  std::from_chars(s.data(), s.data() + s.size(), out);
  return NormalizeDecimal(out);
}

Value Mod(Args a, size_t, const Message&) { return Remainder(a[0], a[1]); }

template <double (*F)(double)>
Value DoubleFn(Args a, size_t, const Message&) {
  if (!a[0].is_number() && !a[0].is_string()) return Value();
  auto d = ToDecimal(a[0]);
  if (!d) return Value();
  return FiniteDecimal(F(*d));  // imaginary results (NaN) and infinities are Undefined
}
double Log10(double x) { return std::log10(x); }
double Acos(double x) { return std::acos(x); }
double Asin(double x) { return std::asin(x); }
double Atan(double x) { return std::atan(x); }
double Cos(double x) { return std::cos(x); }
double Cosh(double x) { return std::cosh(x); }
double Sin(double x) { return std::sin(x); }
double Sinh(double x) { return std::sinh(x); }
double Tan(double x) { return std::tan(x); }
double Tanh(double x) { return std::tanh(x); }
double Ln(double x) { return std::log(x); }
double Sqrt(double x) { return std::sqrt(x); }
double Exp(double x) { return std::exp(x); }
double Floor(double x) { return std::floor(x); }
double Ceil(double x) { return std::ceil(x); }
double RoundHalfAway(double x) { return std::round(x); }

// A number, or a string that may hold one: what the numeric functions take.
bool NumberLike(const Value& v) { return v.is_number() || v.is_string(); }

Value Power(Args a, size_t, const Message&) {
  if (!NumberLike(a[0]) || !NumberLike(a[1])) return Value();
  auto x = ToDecimal(a[0]);
  auto y = ToDecimal(a[1]);
  if (!x || !y) return Value();
  return FiniteDecimal(std::pow(*x, *y));
}

// atan2(y, x): the angle of the point (x, y) from the positive x axis, in radians.
Value Atan2(Args a, size_t, const Message&) {
  if (!NumberLike(a[0]) || !NumberLike(a[1])) return Value();
  auto y = ToDecimal(a[0]);
  auto x = ToDecimal(a[1]);
  if (!y || !x) return Value();
  return FiniteDecimal(std::atan2(*y, *x));
}

// Bitwise operations on Ints (a Decimal or numeric String is rounded down first; one
// beyond int64's range has no bits here, and gives Undefined).
enum class BitOp { kAnd, kOr, kXor };
template <BitOp kOp>
Value Bits(Args a, size_t, const Message&) {
  if (!NumberLike(a[0]) || !NumberLike(a[1])) return Value();
  auto x = ToIntFloor(a[0]);
  auto y = ToIntFloor(a[1]);
  if (!x || !y) return Value();
  switch (kOp) {
    case BitOp::kAnd: return Value::Int(*x & *y);
    case BitOp::kOr: return Value::Int(*x | *y);
    case BitOp::kXor: return Value::Int(*x ^ *y);
  }
  return Value();
}
Value BitNot(Args a, size_t, const Message&) {
  if (!NumberLike(a[0])) return Value();
  auto x = ToIntFloor(a[0]);
  return x ? Value::Int(~*x) : Value();
}

// A decimal in [0, 1), different on every call.
Value Rand(Args, size_t, const Message&) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return Value::Decimal(std::uniform_real_distribution<double>(0.0, 1.0)(engine));
}

// ---- others ----

// transform('enrichArray', object, array): each element of `array` (an object) with the
// members of `object` added, in the element's order and then the object's; a member
// both have takes the object's value. Undefined for another mode, when an element is not
// an object, or when the result would be over 128 KiB of JSON (AWS's limit).
constexpr char kEnrichArray[] = "enrichArray";
constexpr size_t kMaxTransformJsonBytes = 128 << 10;
Value Transform(Args a, size_t, const Message& m) {
  if (!a[0].is_string() || a[0].as_string() != kEnrichArray || !a[1].is_object() ||
      !a[2].is_array()) {
    return Value();
  }
  // What the result would be at most, known before building it: each element with all of
  // the object's members.
  size_t elements = a[2].as_array().size();
  size_t added_size = JsonSizeAtMost(a[1], kMaxTransformJsonBytes);
  size_t size = JsonSizeAtMost(a[2], kMaxTransformJsonBytes);
  if (elements > 0 && added_size > (kMaxTransformJsonBytes * 2) / elements) return Value();
  size += elements * added_size;
  if (size > kMaxTransformJsonBytes * 2 || !m.ChargeBuild(size)) return Value();
  const Object& added = a[1].as_object();
  Array out;
  out.reserve(a[2].as_array().size());
  for (const Value& element : a[2].as_array()) {
    if (!element.is_object()) return Value();
    Object o = element.as_object();
    for (const auto& member : added) {
      auto same =
          std::find_if(o.begin(), o.end(), [&](const auto& m) { return m.first == member.first; });
      if (same != o.end()) {
        same->second = member.second;
      } else {
        o.push_back(member);
      }
    }
    out.push_back(Value::MakeObject(std::move(o)));
  }
  Value result = Value::MakeArray(std::move(out));
  std::string json;
  AppendJson(result, &json);
  return json.size() > kMaxTransformJsonBytes ? Value() : result;
}
Status CheckTransformLiteral(size_t index, size_t, const Value& literal) {
  if (index == 0 && (!literal.is_string() || literal.as_string() != kEnrichArray)) {
    return InvalidArgument(literal.ToJson() + " is not a transformation mode ('" + kEnrichArray +
                           "')");
  }
  return Status::Ok();
}

Value IsNull(Args a, size_t, const Message&) { return Value::Bool(a[0].is_null()); }
Value IsUndefined(Args a, size_t, const Message&) { return Value::Bool(a[0].is_undefined()); }

Value Get(Args a, size_t, const Message&) {
  if (a[0].is_object()) return a[1].is_string() ? a[0].Member(a[1].as_string()) : Value();
  auto i = ToIntFloor(a[1]);
  if (!i) return Value();
  if (a[0].is_array()) return a[0].Element(*i);
  if (a[0].is_string()) {
    const std::string& s = a[0].as_string();
    if (*i < 0 || *i >= Utf8Length(s)) return Value();
    size_t b = Utf8Offset(s, *i);
    return Value::String(s.substr(b, Utf8Offset(s, *i + 1) - b));
  }
  return Value();
}

Value Nanvl(Args a, size_t, const Message&) {
  if (a[0].is_undefined() || a[0].is_null()) return a[1];
  if (a[0].is_decimal() && std::isnan(a[0].as_decimal())) return a[1];
  return a[0];
}

// get_or_default(expression[, default]): the default (Undefined without one) where the
// expression gives Null or Undefined. Functions never fail here, so that is every case
// in which AWS's gives the default; an evaluation past a limit (the bytes it may build,
// a nested query's rows, regexp_replace's time) still fails the rule.
Value GetOrDefault(Args a, size_t count, const Message&) {
  if (!a[0].is_undefined() && !a[0].is_null()) return a[0];
  return count > 1 ? a[1] : Value();
}

Value TimeToEpoch(Args a, size_t, const Message&) {
  if (!a[0].is_string() || !a[1].is_string()) return Value();
  auto ms = ParseTimeText(a[0].as_string(), a[1].as_string());
  return ms.ok() ? Value::Int(*ms) : Value();
}

// time_to_epoch's literal pattern must use only letters it reads.
Status CheckTimeToEpochLiteral(size_t index, size_t, const Value& literal) {
  if (index != 1 || !literal.is_string()) return Status::Ok();
  return CheckParsePattern(literal.as_string());
}

// parse_time's literal pattern must use only letters it writes, its literal zone exist.
Status CheckParseTimeLiteral(size_t index, size_t, const Value& literal) {
  if (!literal.is_string()) return Status::Ok();
  if (index == 0) return FormatTime(literal.as_string(), 0, *TimeZone::Utc()).status();
  if (index == 2) return TimeZone::Find(literal.as_string()).status();
  return Status::Ok();
}

Value ParseTime(Args a, size_t n, const Message&) {
  if (!a[0].is_string()) return Value();
  if (!a[1].is_number() && !a[1].is_string()) return Value();
  auto ms = ToIntFloor(a[1]);
  if (!ms) return Value();
  std::string zone = "UTC";
  if (n == 3) {
    if (!a[2].is_string()) return Value();
    zone = a[2].as_string();
  }
  auto r = FormatTime(a[0].as_string(), *ms, zone);
  return r.ok() ? Value::String(std::move(r).value()) : Value();
}


struct CivilTime {
  int64_t year, month, day, hour, minute, second, weekday;  // weekday: Monday = 1
};

CivilTime CivilFromMicros(int64_t micros) {
  int64_t secs = FloorDiv(micros, 1000000);
  int64_t days = FloorDiv(secs, 86400);
  int64_t rem = secs - days * 86400;
  CivilDate d = CivilFromDays(days);
  return CivilTime{d.year, d.month, d.day, rem / 3600, rem % 3600 / 60, rem % 60, d.weekday};
}

enum class DatePart { kYear, kMonth, kDay, kHour, kMinute, kSecond, kWeekday };

template <DatePart P>
Value DatePartFn(Args a, size_t, const Message&) {
  int64_t micros = 0;
  if (a[0].is_string()) {
    auto parsed = ParseIso8601Micros(a[0].as_string());
    if (!parsed) return Value();
    micros = *parsed;
  } else if (a[0].is_number()) {
    auto ms = ToIntFloor(a[0]);
    if (!ms || *ms > kMaxTimeMillis || *ms < -kMaxTimeMillis) return Value();
    micros = *ms * 1000;
  } else {
    return Value();
  }
  CivilTime t = CivilFromMicros(micros);
  switch (P) {
    case DatePart::kYear: return Value::Int(t.year);
    case DatePart::kMonth: return Value::Int(t.month);
    case DatePart::kDay: return Value::Int(t.day);
    case DatePart::kHour: return Value::Int(t.hour);
    case DatePart::kMinute: return Value::Int(t.minute);
    case DatePart::kSecond: return Value::Int(t.second);
    case DatePart::kWeekday: return Value::Int(t.weekday);
  }
  return Value();
}

constexpr FunctionSpec kFunctions[] = {
    {"abs", 1, 1, Purity::kPure, &Abs},
    {"acos", 1, 1, Purity::kPure, &DoubleFn<Acos>},
    {"asin", 1, 1, Purity::kPure, &DoubleFn<Asin>},
    {"atan", 1, 1, Purity::kPure, &DoubleFn<Atan>},
    {"atan2", 2, 2, Purity::kPure, &Atan2},
    {"bitand", 2, 2, Purity::kPure, &Bits<BitOp::kAnd>},
    {"bitnot", 1, 1, Purity::kPure, &BitNot},
    {"bitor", 2, 2, Purity::kPure, &Bits<BitOp::kOr>},
    {"bitxor", 2, 2, Purity::kPure, &Bits<BitOp::kXor>},
    {"ceil", 1, 1, Purity::kPure, &RoundTo<Ceil>},
    {"chr", 1, 1, Purity::kPure, &Chr},
    {"clientid", 0, 0, Purity::kMessage, &ClientId},
    {"concat", 0, -1, Purity::kPure, &Concat},
    {"cos", 1, 1, Purity::kPure, &DoubleFn<Cos>},
    {"cosh", 1, 1, Purity::kPure, &DoubleFn<Cosh>},
    {"day", 1, 1, Purity::kPure, &DatePartFn<DatePart::kDay>},
    {"dayofweek", 1, 1, Purity::kPure, &DatePartFn<DatePart::kWeekday>},
    // kMessage: its 'proto' form reads a FileDescriptorSet through the Message.
    {"decode", 2, 6, Purity::kMessage, &Decode},
    {"encode", 2, 2, Purity::kPure, &Encode},
    {"endswith", 2, 2, Purity::kPure, &EndsWith},
    {"exp", 1, 1, Purity::kPure, &DoubleFn<Exp>},
    {"floor", 1, 1, Purity::kPure, &RoundTo<Floor>},
    {"get", 2, 2, Purity::kPure, &Get},
    {"get_mqtt_property", 1, 1, Purity::kMessage, &GetMqttProperty},
    {"get_or_default", 1, 2, Purity::kPure, &GetOrDefault},
    {"get_thing_shadow", 2, 3, Purity::kVolatile, &GetThingShadow, &CheckGetThingShadowLiteral},
    {"get_registry_data", 3, 3, Purity::kVolatile, &GetRegistryData, &CheckGetRegistryDataLiteral},
    {"get_user_properties", 1, 1, Purity::kMessage, &GetUserProperties},
    {"hour", 1, 1, Purity::kPure, &DatePartFn<DatePart::kHour>},
    {"indexof", 2, 2, Purity::kPure, &IndexOf},
    {"isnull", 1, 1, Purity::kPure, &IsNull},
    {"isundefined", 1, 1, Purity::kPure, &IsUndefined},
    {"length", 1, 1, Purity::kPure, &Length},
    {"ln", 1, 1, Purity::kPure, &DoubleFn<Ln>},
    {"log", 1, 1, Purity::kPure, &DoubleFn<Log10>},
    {"lower", 1, 1, Purity::kPure, &Lower},
    {"lpad", 2, 2, Purity::kPure, &Lpad},
    {"ltrim", 1, 1, Purity::kPure, &Ltrim},
    {"md5", 1, 1, Purity::kPure, &Md5},
    {"minute", 1, 1, Purity::kPure, &DatePartFn<DatePart::kMinute>},
    {"mod", 2, 2, Purity::kPure, &Mod},
    {"month", 1, 1, Purity::kPure, &DatePartFn<DatePart::kMonth>},
    {"nanvl", 2, 2, Purity::kPure, &Nanvl},
    {"newuuid", 0, 0, Purity::kVolatile, &NewUuidFn},
    {"numbytes", 1, 1, Purity::kPure, &NumBytes},
    {"parse_time", 2, 3, Purity::kPure, &ParseTime, &CheckParseTimeLiteral},
    {"power", 2, 2, Purity::kPure, &Power},
    {"principal", 0, 0, Purity::kMessage, &Principal},
    {"rand", 0, 0, Purity::kVolatile, &Rand},
    {"regexp_matches", 2, 2, Purity::kPure, &RegexpMatches, &CheckRegexpLiteral},
    {"regexp_replace", 3, 3, Purity::kPure, &RegexpReplace, &CheckRegexpLiteral},
    {"regexp_substr", 2, 2, Purity::kPure, &RegexpSubstr, &CheckRegexpLiteral},
    {"remainder", 2, 2, Purity::kPure, &Mod},
    {"replace", 3, 3, Purity::kPure, &Replace},
    {"round", 1, 1, Purity::kPure, &RoundTo<RoundHalfAway>},
    {"rpad", 2, 2, Purity::kPure, &Rpad},
    {"rtrim", 1, 1, Purity::kPure, &Rtrim},
    {"second", 1, 1, Purity::kPure, &DatePartFn<DatePart::kSecond>},
    {"sha1", 1, 1, Purity::kPure, &Sha1},
    {"sha224", 1, 1, Purity::kPure, &Sha224},
    {"sha256", 1, 1, Purity::kPure, &Sha256},
    {"sha384", 1, 1, Purity::kPure, &Sha384},
    {"sha512", 1, 1, Purity::kPure, &Sha512},
    {"sign", 1, 1, Purity::kPure, &Sign},
    {"sin", 1, 1, Purity::kPure, &DoubleFn<Sin>},
    {"sinh", 1, 1, Purity::kPure, &DoubleFn<Sinh>},
    {"sourceip", 0, 0, Purity::kMessage, &SourceIp},
    {"sql_version", 0, 0, Purity::kPure, &SqlVersion},
    {"accountid", 0, 0, Purity::kPure, &AccountId},
    {"sqrt", 1, 1, Purity::kPure, &DoubleFn<Sqrt>},
    {"startswith", 2, 2, Purity::kPure, &StartsWith},
    {"substring", 2, 3, Purity::kPure, &Substring},
    {"tan", 1, 1, Purity::kPure, &DoubleFn<Tan>},
    {"tanh", 1, 1, Purity::kPure, &DoubleFn<Tanh>},
    {"time_to_epoch", 2, 2, Purity::kPure, &TimeToEpoch, &CheckTimeToEpochLiteral},
    {"timestamp", 0, 0, Purity::kMessage, &Timestamp},
    {"topic", 0, 1, Purity::kMessage, &Topic},
    {"traceid", 0, 0, Purity::kMessage, &TraceId},
    {"transform", 3, 3, Purity::kPure, &Transform, &CheckTransformLiteral},
    {"trim", 1, 1, Purity::kPure, &Trim},
    {"trunc", 2, 2, Purity::kPure, &Trunc},
    {"upper", 1, 1, Purity::kPure, &Upper},
    {"year", 1, 1, Purity::kPure, &DatePartFn<DatePart::kYear>},
};

}  // namespace

namespace {

// Reads exactly `n` digits at text[*i].
bool Digits(std::string_view text, size_t* i, int n, int64_t* out) {
  if (*i + n > text.size()) return false;
  int64_t v = 0;
  for (int k = 0; k < n; ++k) {
    char c = text[*i + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *i += n;
  *out = v;
  return true;
}

}  // namespace

std::optional<int64_t> ParseIso8601Micros(std::string_view text) {
  size_t i = 0;
  int64_t y, mo, d, h = 0, mi = 0, sec = 0, micros = 0;
  if (!Digits(text, &i, 4, &y) || i >= text.size() || text[i++] != '-') return std::nullopt;
  if (!Digits(text, &i, 2, &mo) || i >= text.size() || text[i++] != '-') return std::nullopt;
  if (!Digits(text, &i, 2, &d)) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, static_cast<int>(mo))) return std::nullopt;
  int64_t offset_s = 0;
  if (i < text.size()) {
    if (text[i] != 'T' && text[i] != 't' && text[i] != ' ') return std::nullopt;
    ++i;
    if (!Digits(text, &i, 2, &h) || i >= text.size() || text[i++] != ':') return std::nullopt;
    if (!Digits(text, &i, 2, &mi)) return std::nullopt;
    if (i < text.size() && text[i] == ':') {
      ++i;
      if (!Digits(text, &i, 2, &sec)) return std::nullopt;
      if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
        ++i;
        int n = 0;
        int64_t scale = 100000;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
          if (n < 6) micros += (text[i] - '0') * scale;
          scale /= 10;
          ++n;
          ++i;
        }
        if (n == 0) return std::nullopt;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    if (i < text.size()) {
      char z = text[i];
      if (z == 'Z' || z == 'z') {
        ++i;
      } else if (z == '+' || z == '-') {
        ++i;
        int64_t oh, om = 0;
        if (!Digits(text, &i, 2, &oh)) return std::nullopt;
        if (i < text.size() && text[i] == ':') ++i;
        if (i < text.size() && !Digits(text, &i, 2, &om)) return std::nullopt;
        if (oh > 23 || om > 59) return std::nullopt;
        offset_s = (z == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      } else {
        return std::nullopt;
      }
    }
    if (i != text.size()) return std::nullopt;
  }
  int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  return secs * 1000000 + micros;
}

const FunctionSpec* FindFunction(std::string_view lower_name) {
  for (const FunctionSpec& f : kFunctions) {
    if (f.name == lower_name) return &f;
  }
  return nullptr;
}

std::string FunctionNames() {
  std::string out;
  for (const FunctionSpec& f : kFunctions) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

}  // namespace tributary::expr
