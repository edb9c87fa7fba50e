#include "expr/compiled.h"

#include <cmath>
#include <vector>

#include "expr/conversions.h"
#include "expr/functions.h"
#include "expr/operators.h"
#include "expr/parser.h"
#include "expr/payload_access.h"
#include "expr/string_functions.h"
#include "expr/variables.h"

namespace tributary::expr {

bool Node::AppendJsonTo(const Message& m, std::string* out) const {
  Value v = Eval(m);
  if (v.is_undefined()) return false;
  AppendJson(v, out);
  return true;
}

namespace {

class LiteralNode final : public Node {
 public:
  explicit LiteralNode(Value v) : v_(std::move(v)) {}
  Value Eval(const Message&) const override { return v_; }

 private:
  Value v_;
};

// @name: the value the message's frame holds for the variable (Undefined when the
// message carries no frame of the statement the node was compiled for, or for a node
// compiled with VariableScope::any_name).
class VariableNode final : public Node {
 public:
  VariableNode(const Variables* variables, size_t slot) : variables_(variables), slot_(slot) {}
  Value Eval(const Message& m) const override {
    if (variables_ == nullptr || m.variables == nullptr ||
        &m.variables->variables() != variables_) {
      return Value();
    }
    return m.variables->Get(slot_);
  }

 private:
  const Variables* variables_;
  size_t slot_;
};

// One step of a path: .key, [3], or [expression].
struct Step {
  std::string key;
  int64_t index = -1;
  NodePtr dynamic;
  bool is_key = false;
};

// A path from the payload root: a.b[2].c, or '*' with no steps.
class PayloadPathNode final : public Node {
 public:
  explicit PayloadPathNode(std::vector<Step> steps) : steps_(std::move(steps)) {}

  Value Eval(const Message& m) const override {
    simdjson::dom::element e;
    if (!Find(m, &e)) {
      if (steps_.empty() && !m.PayloadIsJson()) return Value::String(std::string(m.payload));
      return Value();
    }
    return DomToValue(e);
  }

  bool AppendJsonTo(const Message& m, std::string* out) const override {
    simdjson::dom::element e;
    if (!Find(m, &e)) return Node::AppendJsonTo(m, out);
    AppendDomJson(e, out);
    return true;
  }

 private:
  bool Find(const Message& m, simdjson::dom::element* out) const {
    simdjson::dom::element slot;
    const simdjson::dom::element* root = PayloadAccess::Root(m, &slot);
    if (root == nullptr) return false;
    simdjson::dom::element e = *root;
    for (const Step& s : steps_) {
      std::string_view key = s.key;
      int64_t index = s.index;
      bool is_key = s.is_key;
      Value dyn;
      if (s.dynamic) {
        dyn = s.dynamic->Eval(m);
        if (dyn.is_string()) {
          is_key = true;
          key = dyn.as_string();
        } else if (dyn.is_int()) {
          index = dyn.as_int();
        } else {
          return false;
        }
      }
      if (is_key) {
        if (e.type() != simdjson::dom::element_type::OBJECT) return false;
        simdjson::dom::object obj = e.get_object().value_unsafe();
        auto r = obj.at_key(key);
        if (r.error()) return false;
        e = r.value_unsafe();
      } else {
        if (e.type() != simdjson::dom::element_type::ARRAY || index < 0) return false;
        simdjson::dom::array arr = e.get_array().value_unsafe();
        auto r = arr.at(static_cast<size_t>(index));
        if (r.error()) return false;
        e = r.value_unsafe();
      }
    }
    if (IsOutOfRangeNumber(e)) return false;  // 1e400: Undefined
    *out = e;
    return true;
  }

  std::vector<Step> steps_;
};

// The payload's bytes as they came, as a String: encode(*, 'base64')'s argument, which
// AWS encodes "regardless of whether it's in JSON format" (not re-serialised JSON).
class RawPayloadNode final : public Node {
 public:
  Value Eval(const Message& m) const override { return Value::String(std::string(m.payload)); }
};

// A path applied to a computed value: upper(x).y, [1,2][0], func()[i].
class ValuePathNode final : public Node {
 public:
  ValuePathNode(NodePtr base, std::vector<Step> steps)
      : base_(std::move(base)), steps_(std::move(steps)) {}
  Value Eval(const Message& m) const override {
    Value v = base_->Eval(m);
    for (const Step& s : steps_) {
      if (s.dynamic) {
        Value k = s.dynamic->Eval(m);
        if (k.is_string()) {
          v = v.Member(k.as_string());
        } else if (k.is_int()) {
          v = v.Element(k.as_int());
        } else {
          return Value();
        }
      } else {
        v = s.is_key ? v.Member(s.key) : v.Element(s.index);
      }
      if (v.is_undefined()) return v;
    }
    return v;
  }

 private:
  NodePtr base_;
  std::vector<Step> steps_;
};

class BinaryNode final : public Node {
 public:
  BinaryNode(BinaryFn fn, NodePtr a, NodePtr b) : fn_(fn), a_(std::move(a)), b_(std::move(b)) {}
  Value Eval(const Message& m) const override { return fn_(a_->Eval(m), b_->Eval(m), m); }

 private:
  BinaryFn fn_;
  NodePtr a_, b_;
};

class UnaryNode final : public Node {
 public:
  UnaryNode(Value (*fn)(const Value&), NodePtr a) : fn_(fn), a_(std::move(a)) {}
  Value Eval(const Message& m) const override { return fn_(a_->Eval(m)); }

 private:
  Value (*fn_)(const Value&);
  NodePtr a_;
};

class CallNode final : public Node {
 public:
  CallNode(FunctionImpl fn, std::vector<NodePtr> args) : fn_(fn), args_(std::move(args)) {}
  Value Eval(const Message& m) const override {
    constexpr size_t kInline = 4;
    if (args_.size() <= kInline) {
      Value buf[kInline];
      for (size_t i = 0; i < args_.size(); ++i) buf[i] = args_[i]->Eval(m);
      return fn_(buf, args_.size(), m);
    }
    std::vector<Value> buf;
    buf.reserve(args_.size());
    for (const NodePtr& a : args_) buf.push_back(a->Eval(m));
    return fn_(buf.data(), buf.size(), m);
  }

 private:
  FunctionImpl fn_;
  std::vector<NodePtr> args_;
};

Value CastTo(CastType type, const Value& v) {
  switch (type) {
    case CastType::kString: {
      auto s = ToText(v);
      return s ? Value::String(std::move(*s)) : Value();
    }
    case CastType::kInt:
      if (v.is_bool()) return Value::Int(v.as_bool() ? 1 : 0);
      if (!v.is_number() && !v.is_string()) return Value();
      if (auto i = ToIntFloor(v)) return Value::Int(*i);
      // Beyond int64 (AWS's Int has 34 digits): the whole number, as a Decimal.
      if (auto d = ToDecimal(v)) return FiniteDecimal(std::floor(*d));
      return Value();
    case CastType::kDecimal:
      if (v.is_bool()) return NormalizeDecimal(v.as_bool() ? 1.0 : 0.0);
      if (v.is_int()) return v;
      if (auto d = ToDecimal(v)) return NormalizeDecimal(*d);
      return Value();
    case CastType::kBoolean:
      if (v.is_int()) return Value::Bool(v.as_int() != 0);
      if (v.is_decimal()) return Value::Bool(v.as_decimal() != 0);
      if (auto b = ToBoolean(v)) return Value::Bool(*b);
      return Value();
  }
  return Value();
}

class CastNode final : public Node {
 public:
  CastNode(CastType type, NodePtr a) : type_(type), a_(std::move(a)) {}
  Value Eval(const Message& m) const override { return CastTo(type_, a_->Eval(m)); }

 private:
  CastType type_;
  NodePtr a_;
};

class CaseNode final : public Node {
 public:
  CaseNode(NodePtr subject, std::vector<std::pair<NodePtr, NodePtr>> whens, NodePtr otherwise)
      : subject_(std::move(subject)), whens_(std::move(whens)), else_(std::move(otherwise)) {}
  Value Eval(const Message& m) const override {
    Value subject = subject_ ? subject_->Eval(m) : Value();
    if (subject_ && subject.is_undefined()) return Value();  // AWS: no WHEN, no ELSE
    for (const auto& [when, then] : whens_) {
      Value w = when->Eval(m);
      bool hit;
      if (subject_) {
        auto eq = Equals(subject, w);
        hit = eq && *eq;
      } else {
        auto b = ToBoolean(w);
        hit = b && *b;
      }
      if (hit) return then->Eval(m);
    }
    return else_ ? else_->Eval(m) : Value();
  }

 private:
  NodePtr subject_;
  std::vector<std::pair<NodePtr, NodePtr>> whens_;
  NodePtr else_;
};

class ArrayNode final : public Node {
 public:
  explicit ArrayNode(std::vector<NodePtr> items) : items_(std::move(items)) {}
  Value Eval(const Message& m) const override {
    Array a;
    a.reserve(items_.size());
    for (const NodePtr& n : items_) a.push_back(n->Eval(m));
    Value v = Value::MakeArray(std::move(a));
    // The elements may share one big value many times over: charge what the JSON would be.
    return m.ChargeBuild(JsonSizeAtMost(v, kBuildBudgetBytes)) ? v : Value();
  }

 private:
  std::vector<NodePtr> items_;
};

class ObjectNode final : public Node {
 public:
  ObjectNode(std::vector<std::string> keys, std::vector<NodePtr> values)
      : keys_(std::move(keys)), values_(std::move(values)) {}
  Value Eval(const Message& m) const override {
    Object o;
    o.reserve(keys_.size());
    for (size_t i = 0; i < keys_.size(); ++i) o.emplace_back(keys_[i], values_[i]->Eval(m));
    Value v = Value::MakeObject(std::move(o));
    return m.ChargeBuild(JsonSizeAtMost(v, kBuildBudgetBytes)) ? v : Value();
  }

 private:
  std::vector<std::string> keys_;
  std::vector<NodePtr> values_;
};

// (SELECT [VALUE] items FROM source [WHERE condition]): the items and the condition are
// compiled as for a rule and evaluated against each element of an array source (an
// array of the results), or against an object source once (its one result), as the
// payload of a message that is otherwise the outer one (topic(), clientid() ... read
// the same). Elements are handed over as JSON text, so field references inside work
// exactly as at the top level.
class SubqueryNode final : public Node {
 public:
  struct Item {
    std::string name;  // "" for '*'
    NodePtr node;      // null for '*'
  };
  SubqueryNode(NodePtr from, NodePtr where, std::vector<Item> items, bool value)
      : from_(std::move(from)), where_(std::move(where)), items_(std::move(items)),
        value_(value) {}

  Value Eval(const Message& m) const override {
    Value source = from_->Eval(m);
    std::string json;
    // An object is one row, and gives one result; an array gives one per element. Each
    // row read counts against the evaluation's rows (kept or not: a WHERE that keeps
    // none can still make the work grow with the square of the array), and each row
    // made is charged to the build budget (a select list may repeat a big field many
    // times over, for every element).
    if (source.is_object()) {
      return m.ChargeNestedRow() ? Charged(Row(source, m, &json), m) : Value();
    }
    if (!source.is_array()) return Value();
    Array out;
    for (const Value& element : source.as_array()) {
      if (!m.ChargeNestedRow()) return Value();
      Value v = Charged(Row(element, m, &json), m);
      if (m.BuildBudgetExceeded() || m.NestedRowsExceeded()) return Value();
      if (!v.is_undefined()) out.push_back(std::move(v));
    }
    return Value::MakeArray(std::move(out));
  }

 private:
  static Value Charged(Value v, const Message& m) {
    if (v.is_undefined()) return v;
    return m.ChargeBuild(JsonSizeAtMost(v, kBuildBudgetBytes)) ? v : Value();
  }

  // The select list over one element; Undefined when WHERE leaves it out (or VALUE's
  // item is Undefined). `json` is scratch space.
  Value Row(const Value& element, const Message& m, std::string* json) const {
    json->clear();
    AppendJson(element, json);
    Message row(m.topic, *json);
    row.CopySenderFrom(m);
    if (where_) {
      auto keep = ToBoolean(where_->Eval(row));
      if (!keep || !*keep) return Value();
    }
    if (value_) return items_[0].node->Eval(row);
    Object o;
    for (const Item& item : items_) {
      if (!item.node) {
        if (element.is_object()) {
          for (const auto& member : element.as_object()) o.push_back(member);
        }
        continue;
      }
      Value v = item.node->Eval(row);
      if (!v.is_undefined()) o.emplace_back(item.name, std::move(v));
    }
    return Value::MakeObject(std::move(o));
  }

  NodePtr from_;
  NodePtr where_;
  std::vector<Item> items_;
  bool value_;
};

struct Compiled {
  NodePtr node;
  bool constant = false;
};

class Compiler {
 public:
  Compiler(bool multiline, const VariableScope& scope) : multiline_(multiline), scope_(scope) {}

  Result<Compiled> Run(const Ast& ast) {
    // Long left-leaning chains (a+a+a+...) are not limited by the parser's nesting
    // check; evaluation recurses as deep as the tree, so bound it here.
    constexpr int kMaxTreeDepth = 256;
    if (++depth_ > kMaxTreeDepth) {
      return Error(ast.pos, "expression too deep (more than " + std::to_string(kMaxTreeDepth) +
                                " nested operations)");
    }
    auto built = Build(ast);
    --depth_;
    if (!built.ok()) return built.status();
    Compiled c = std::move(built).value();
    if (c.constant && dynamic_cast<const LiteralNode*>(c.node.get()) == nullptr) {
      Message none;
      Value v = c.node->Eval(none);
      if (none.BuildBudgetExceeded()) {
        return Error(ast.pos,
                     "this constant expression builds more than " +
                         std::to_string(kBuildBudgetBytes) +
                         " bytes of strings and arrays (the most one evaluation may build)");
      }
      c.node = std::make_unique<LiteralNode>(std::move(v));
    }
    return c;
  }

 private:
  Status Error(const SourcePos& pos, const std::string& what) const {
    return InvalidArgument(FormatPos(pos, multiline_) + ": " + what);
  }

  // A literal argument that can never work (FunctionSpec::check) is refused now rather
  // than giving Undefined on every message.
  Status CheckLiteralArguments(const FunctionSpec& f, const Ast& call) const {
    if (f.check == nullptr) return Status::Ok();
    for (size_t i = 0; i < call.kids.size(); ++i) {
      const Ast& arg = *call.kids[i];
      if (arg.kind != AstKind::kLiteral) continue;
      if (Status s = f.check(i, call.kids.size(), arg.literal); !s.ok()) {
        return Error(arg.pos, call.name + "(): " + s.message());
      }
    }
    return Status::Ok();
  }

  // decode's scheme is a literal, 'base64' with 2 arguments or 'proto' with 6 whose
  // bucket, key, file and type are literal text (AWS's forms).
  Status CheckDecodeCall(const Ast& call) const {
    const Ast& scheme = *call.kids[1];
    const bool literal = scheme.kind == AstKind::kLiteral && scheme.literal.is_string();
    const std::string name = literal ? scheme.literal.as_string() : "";
    if (name != "base64" && name != "proto") {
      return Error(scheme.pos, "decode(): the decoding scheme is 'base64' or 'proto' (a literal)");
    }
    const size_t want = name == "proto" ? 6 : 2;
    if (call.kids.size() != want) {
      return Error(call.pos, name == "proto"
                                 ? "decode(value, 'proto', bucket, key, protoFile, messageType) "
                                   "takes 6 arguments, got " +
                                       std::to_string(call.kids.size())
                                 : "decode(value, 'base64') takes 2 arguments, got " +
                                       std::to_string(call.kids.size()));
    }
    static constexpr const char* kProtoArgs[] = {"bucket", "key of the FileDescriptorSet",
                                                 "proto file name", "message type"};
    for (size_t i = 2; i < want; ++i) {
      const Ast& arg = *call.kids[i];
      if (arg.kind != AstKind::kLiteral || !arg.literal.is_string() ||
          arg.literal.as_string().empty()) {
        return Error(arg.pos, std::string("decode(): the ") + kProtoArgs[i - 2] +
                                  " is a literal, non-empty text");
      }
    }
    return Status::Ok();
  }

  // get_or_default's default may not read state outside the message, as on AWS: the
  // first call in `ast` that does, or nullptr.
  static const Ast* FindStateRead(const Ast& ast) {
    if (ast.kind == AstKind::kCall &&
        (ast.name == "get_thing_shadow" || ast.name == "get_registry_data")) {
      return &ast;
    }
    for (const AstPtr& k : ast.kids) {
      if (const Ast* found = k ? FindStateRead(*k) : nullptr) return found;
    }
    return nullptr;
  }

  Result<Compiled> BuildVariable(const Ast& ast) {
    if (scope_.any_name) return Compiled{std::make_unique<VariableNode>(nullptr, 0), false};
    const Variables* vars = scope_.variables;
    int slot = vars != nullptr ? vars->Find(ast.name) : -1;
    if (slot >= 0 && static_cast<size_t>(slot) < scope_.visible) {
      return Compiled{std::make_unique<VariableNode>(vars, static_cast<size_t>(slot)), false};
    }
    std::string name = "'@" + ast.name + "'";
    if (slot >= 0) {
      return Error(ast.pos, "variable " + name + " is used before it is set (a SET " +
                                "assignment sees only the variables set before it)");
    }
    if (vars == nullptr || vars->empty()) {
      return Error(ast.pos, "unknown variable " + name +
                                ": only a rule's SET clause sets variables (SET @" + ast.name +
                                " = <expression> SELECT ...)");
    }
    return Error(ast.pos, "unknown variable " + name + " (set: " +
                              vars->NameList() + ")");
  }

  // Collects the steps of a chain of .member / [index] down to its base.
  Result<Compiled> BuildPath(const Ast& ast) {
    std::vector<const Ast*> chain;
    const Ast* base = &ast;
    while (base->kind == AstKind::kMember || base->kind == AstKind::kIndex) {
      chain.push_back(base);
      base = base->kids[0].get();
    }
    std::vector<Step> steps;
    bool constant = true;
    if (base->kind == AstKind::kField) {
      Step s;
      s.is_key = true;
      s.key = base->name;
      steps.push_back(std::move(s));
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const Ast* a = *it;
      Step s;
      if (a->kind == AstKind::kMember) {
        s.is_key = true;
        s.key = a->name;
      } else {
        TRY_ASSIGN(Compiled idx, Run(*a->kids[1]));
        const auto* lit = dynamic_cast<const LiteralNode*>(idx.node.get());
        if (lit != nullptr) {
          Value v = lit->Eval(Message());
          if (v.is_int()) {
            s.index = v.as_int();
          } else if (v.is_string()) {
            s.is_key = true;
            s.key = v.as_string();
          } else {
            return Error(a->kids[1]->pos, "an index must be an Int or a String, not " +
                                              std::string(KindName(v.kind())));
          }
        } else {
          constant = false;
          s.dynamic = std::move(idx.node);
        }
      }
      steps.push_back(std::move(s));
    }
    if (base->kind == AstKind::kField || base->kind == AstKind::kPayload) {
      return Compiled{std::make_unique<PayloadPathNode>(std::move(steps)), false};
    }
    TRY_ASSIGN(Compiled b, Build(*base));
    return Compiled{std::make_unique<ValuePathNode>(std::move(b.node), std::move(steps)),
                    b.constant && constant};
  }

  Result<Compiled> Build(const Ast& ast) {
    switch (ast.kind) {
      case AstKind::kLiteral: return Compiled{std::make_unique<LiteralNode>(ast.literal), true};
      case AstKind::kVariable: return BuildVariable(ast);
      case AstKind::kField:
      case AstKind::kPayload:
      case AstKind::kMember:
      case AstKind::kIndex: return BuildPath(ast);
      case AstKind::kUnary: {
        TRY_ASSIGN(Compiled a, Run(*ast.kids[0]));
        auto fn = ast.op == Op::kNot ? &LogicalNot : &Negate;
        return Compiled{std::make_unique<UnaryNode>(fn, std::move(a.node)), a.constant};
      }
      case AstKind::kBinary: {
        TRY_ASSIGN(Compiled a, Run(*ast.kids[0]));
        TRY_ASSIGN(Compiled b, Run(*ast.kids[1]));
        return Compiled{std::make_unique<BinaryNode>(BinaryOperator(ast.op), std::move(a.node),
                                                     std::move(b.node)),
                        a.constant && b.constant};
      }
      case AstKind::kCall: {
        const FunctionSpec* f = FindFunction(ast.name);
        if (f == nullptr) {
          return Error(ast.pos, "unknown function '" + ast.name + "' (known: " + FunctionNames() +
                                    ", cast)");
        }
        int n = static_cast<int>(ast.kids.size());
        if (n < f->min_args || (f->max_args >= 0 && n > f->max_args)) {
          std::string want = f->min_args == f->max_args
                                 ? std::to_string(f->min_args)
                                 : (f->max_args < 0 ? "at least " + std::to_string(f->min_args)
                                                    : std::to_string(f->min_args) + " to " +
                                                          std::to_string(f->max_args));
          return Error(ast.pos, ast.name + "() takes " + want + " argument" +
                                    (want == "1" ? "" : "s") + ", got " + std::to_string(n));
        }
        TRY(CheckLiteralArguments(*f, ast));
        if (f->name == "decode") TRY(CheckDecodeCall(ast));
        if (f->name == "get_or_default" && n == 2) {
          if (const Ast* read = FindStateRead(*ast.kids[1])) {
            return Error(read->pos, "get_or_default(): the default value may not call " +
                                        read->name + "() (it reads outside the message)");
          }
        }
        std::vector<NodePtr> args;
        bool constant = f->purity == Purity::kPure;
        FunctionImpl impl = f->impl;
        for (const AstPtr& k : ast.kids) {
          if (f->name == "encode" && k == ast.kids[0] && k->kind == AstKind::kPayload) {
            args.push_back(std::make_unique<RawPayloadNode>());
            constant = false;
            continue;
          }
          if (f->name == "decode" && k == ast.kids[0] && k->kind == AstKind::kPayload) {
            impl = &DecodePayload;  // reads the payload's bytes itself
            args.push_back(std::make_unique<LiteralNode>(Value()));
            constant = false;
            continue;
          }
          TRY_ASSIGN(Compiled a, Run(*k));
          constant = constant && a.constant;
          args.push_back(std::move(a.node));
        }
        return Compiled{std::make_unique<CallNode>(impl, std::move(args)), constant};
      }
      case AstKind::kCast: {
        TRY_ASSIGN(Compiled a, Run(*ast.kids[0]));
        return Compiled{std::make_unique<CastNode>(ast.cast_type, std::move(a.node)), a.constant};
      }
      case AstKind::kCase: {
        bool constant = true;
        NodePtr subject;
        if (ast.kids[0]) {
          TRY_ASSIGN(Compiled s, Run(*ast.kids[0]));
          constant = s.constant;
          subject = std::move(s.node);
        }
        std::vector<std::pair<NodePtr, NodePtr>> whens;
        for (size_t i = 1; i + 1 < ast.kids.size(); i += 2) {
          TRY_ASSIGN(Compiled w, Run(*ast.kids[i]));
          TRY_ASSIGN(Compiled t, Run(*ast.kids[i + 1]));
          constant = constant && w.constant && t.constant;
          whens.emplace_back(std::move(w.node), std::move(t.node));
        }
        NodePtr otherwise;
        if (ast.kids.back()) {
          TRY_ASSIGN(Compiled e, Run(*ast.kids.back()));
          constant = constant && e.constant;
          otherwise = std::move(e.node);
        }
        return Compiled{std::make_unique<CaseNode>(std::move(subject), std::move(whens),
                                                   std::move(otherwise)),
                        constant};
      }
      case AstKind::kArrayLit:
      case AstKind::kObjectLit: {
        bool constant = true;
        std::vector<NodePtr> items;
        for (const AstPtr& k : ast.kids) {
          TRY_ASSIGN(Compiled a, Run(*k));
          constant = constant && a.constant;
          items.push_back(std::move(a.node));
        }
        if (ast.kind == AstKind::kArrayLit) {
          return Compiled{std::make_unique<ArrayNode>(std::move(items)), constant};
        }
        return Compiled{std::make_unique<ObjectNode>(ast.keys, std::move(items)), constant};
      }
      case AstKind::kSubquery: {
        TRY_ASSIGN(Compiled from, Run(*ast.kids[0]));
        NodePtr where;
        if (ast.kids[1]) {
          TRY_ASSIGN(Compiled w, Run(*ast.kids[1]));
          where = std::move(w.node);
        }
        std::vector<SubqueryNode::Item> items;
        for (size_t i = 2; i < ast.kids.size(); ++i) {
          SubqueryNode::Item item{ast.keys[i - 2], nullptr};
          if (ast.kids[i]) {
            TRY_ASSIGN(Compiled c, Run(*ast.kids[i]));
            item.node = std::move(c.node);
          }
          items.push_back(std::move(item));
        }
        // Never folded: the rows are read as payloads, which a constant cannot stand for.
        return Compiled{std::make_unique<SubqueryNode>(std::move(from.node), std::move(where),
                                                       std::move(items), ast.select_value),
                        false};
      }
    }
    return Internal("unhandled expression kind");
  }

  bool multiline_;
  VariableScope scope_;
  int depth_ = 0;
};

}  // namespace

Result<NodePtr> CompileAst(const Ast& ast, bool multiline, const VariableScope& scope) {
  TRY_ASSIGN(Compiled c, Compiler(multiline, scope).Run(ast));
  return std::move(c.node);
}

Result<Expression> Expression::Compile(std::string_view text) {
  TRY_ASSIGN(AstPtr ast, ParseExpressionText(text));
  TRY_ASSIGN(NodePtr node, CompileAst(*ast, text.find('\n') != std::string_view::npos));
  return Expression(std::string(text), std::shared_ptr<const Node>(std::move(node)));
}

}  // namespace tributary::expr
