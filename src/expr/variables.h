// Variables: the SET clause of a rule statement, compiled —
//
//   SET @celsius = (temperature - 32) * 5 / 9, @hot = @celsius > 30
//   SELECT @celsius AS celsius FROM 'devices/+/env' WHERE @hot
//
// Each @name is bound once to an expression, which may use the variables set before it.
// Values belong to one message: a VariableFrame computes each on its first use and at
// most once, so that SELECT, WHERE, nested queries and the actions' substitution
// templates see the same value (newuuid() included), and a variable nothing reads
// costs nothing.
//
//   VariableBinding bind(rule_variables, m);   // m.variables -> a frame for m
//   ... evaluate the rule's expressions against m ...
//
// Variables is immutable once built (shared by every thread evaluating the rule); a
// frame and a binding belong to the thread that evaluates the Message.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expr/compiled.h"
#include "expr/message.h"
#include "expr/value.h"

namespace tributary::expr {

class Variables {
 public:
  size_t size() const { return names_.size(); }
  bool empty() const { return names_.empty(); }
  const std::string& name(size_t slot) const { return names_[slot]; }
  const Node& definition(size_t slot) const { return *definitions_[slot]; }
  // The slot of `name`, or -1.
  int Find(std::string_view name) const;
  // "@a, @b": every name.
  std::string NameList() const;

  // Declares the next variable (every name first, so that a definition naming a later
  // one can be told apart from an unknown name), then defines it: a definition may use
  // the variables before it.
  size_t Declare(std::string name);
  void Define(size_t slot, NodePtr definition) { definitions_[slot] = std::move(definition); }

 private:
  std::vector<std::string> names_;
  std::vector<NodePtr> definitions_;
};

// One message's values of a Variables, each computed on first use against that message.
class VariableFrame {
 public:
  VariableFrame(const Variables& variables, const Message& m)
      : variables_(variables), m_(m), values_(variables.size()), done_(variables.size(), 0) {}
  // A frame holding values computed before (Snapshot of an earlier frame of `variables`
  // for the same message): an error action run later sees what the actions saw.
  VariableFrame(const Variables& variables, const Message& m, std::vector<Value> values)
      : variables_(variables), m_(m), values_(std::move(values)), done_(variables.size(), 1) {}
  VariableFrame(const VariableFrame&) = delete;
  VariableFrame& operator=(const VariableFrame&) = delete;

  const Variables& variables() const { return variables_; }
  // The value of variable `slot`; its definition runs against the frame's message the
  // first time (also when asked from a nested query's row).
  const Value& Get(size_t slot) const;
  // Every variable's value (computing those not used yet).
  std::vector<Value> Snapshot() const;

 private:
  const Variables& variables_;
  const Message& m_;
  mutable std::vector<Value> values_;
  mutable std::vector<uint8_t> done_;
};

// Makes `m` carry a frame of `variables` for the binding's lifetime, unless it already
// carries one of them (the caller bound them for the whole message); restores what `m`
// carried before on destruction. Binds nothing for a statement without SET. With
// `values` (an earlier frame's Snapshot), the frame holds those instead of computing.
class VariableBinding {
 public:
  VariableBinding(const Variables& variables, const Message& m,
                  const std::vector<Value>* values = nullptr);
  ~VariableBinding();
  VariableBinding(const VariableBinding&) = delete;
  VariableBinding& operator=(const VariableBinding&) = delete;

 private:
  const Message& m_;
  const VariableFrame* previous_;
  std::optional<VariableFrame> frame_;
};

}  // namespace tributary::expr
