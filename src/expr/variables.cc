#include "expr/variables.h"

namespace tributary::expr {

int Variables::Find(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string Variables::NameList() const {
  std::string out;
  for (const std::string& name : names_) {
    if (!out.empty()) out += ", ";
    out += "@" + name;
  }
  return out;
}

size_t Variables::Declare(std::string name) {
  names_.push_back(std::move(name));
  definitions_.emplace_back();
  return names_.size() - 1;
}

const Value& VariableFrame::Get(size_t slot) const {
  if (!done_[slot]) {
    // The definition reads the frame's message, with this frame bound, whoever asks.
    struct Restore {
      const Message& m;
      const VariableFrame* before;
      ~Restore() { m.variables = before; }
    } restore{m_, m_.variables};
    m_.variables = this;
    values_[slot] = variables_.definition(slot).Eval(m_);
    done_[slot] = 1;
  }
  return values_[slot];
}

std::vector<Value> VariableFrame::Snapshot() const {
  for (size_t i = 0; i < values_.size(); ++i) Get(i);
  return values_;
}

VariableBinding::VariableBinding(const Variables& variables, const Message& m,
                                 const std::vector<Value>* values)
    : m_(m), previous_(m.variables) {
  if (variables.empty()) return;
  if (values != nullptr && values->size() == variables.size()) {
    frame_.emplace(variables, m, *values);
  } else if (previous_ != nullptr && &previous_->variables() == &variables) {
    return;
  } else {
    frame_.emplace(variables, m);
  }
  m.variables = &*frame_;
}

VariableBinding::~VariableBinding() { m_.variables = previous_; }

}  // namespace tributary::expr
