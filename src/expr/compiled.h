// Compiled expressions: the syntax tree turned once into a tree of evaluation nodes
// with functions and operators resolved to plain function pointers and constant
// sub-expressions folded, so that evaluating per message never re-parses.
//
//   auto e = Expression::Compile("round(temperature * 1.8 + 32)");
//   expr::Message m("devices/d1/pollution", payload);
//   Value v = e->Evaluate(m);   // Undefined when the field is missing
//
// A compiled Expression is immutable: Evaluate may run on many threads at once, each
// with its own Message.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "expr/ast.h"
#include "expr/message.h"
#include "expr/value.h"

namespace tributary::expr {

class Node {
 public:
  virtual ~Node() = default;
  virtual Value Eval(const Message& m) const = 0;
  // Appends the value's JSON; returns false (appending nothing) when Undefined.
  // Payload paths override it to copy from the parsed payload without a Value.
  virtual bool AppendJsonTo(const Message& m, std::string* out) const;
};
using NodePtr = std::unique_ptr<const Node>;

class Variables;

// Which @variables an expression may name: the first `visible` of `variables` (none by
// default). With `any_name`, every @name compiles and yields Undefined: for checking a
// template's syntax before the statement that sets its variables is known.
struct VariableScope {
  const Variables* variables = nullptr;
  size_t visible = 0;
  bool any_name = false;
};

// Compiles a parsed tree. `multiline` selects how positions read in errors (see
// FormatPos). Errors: unknown functions, wrong argument counts, unknown variables.
Result<NodePtr> CompileAst(const Ast& ast, bool multiline, const VariableScope& scope = {});

class Expression {
 public:
  // Parses and compiles; errors name the position ("column 7: ...").
  static Result<Expression> Compile(std::string_view text);

  // Starts `m`'s build budget afresh (Message::ChargeBuild), then evaluates.
  Value Evaluate(const Message& m) const {
    m.ResetBuildBudget();
    return root_->Eval(m);
  }
  const std::string& text() const { return text_; }

 private:
  Expression(std::string text, std::shared_ptr<const Node> root)
      : text_(std::move(text)), root_(std::move(root)) {}
  std::string text_;
  std::shared_ptr<const Node> root_;
};

}  // namespace tributary::expr
