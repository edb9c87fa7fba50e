// Substitution templates: action parameters with ${expression} parts evaluated per
// message against the incoming message (not the SELECT output) and the rule's SET
// variables, as in AWS IoT:
//
//   "alerts/${topic(2)}"           devices/d7/pollution  -> "alerts/d7"
//   "${upper(clientid())}/x"       client "dev-1"        -> "DEV-1/x"
//   "a/${missing}/b"               (Undefined)           -> "a//b"
//   "site/${@site}"                SET @site = lower(s)  -> "site/north"
//   "cost: $5"                     '$' without '{' is literal text
//
// Compiled once; Render may run on many threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "expr/compiled.h"
#include "expr/message.h"

namespace tributary::rules {

class SubstitutionTemplate {
 public:
  SubstitutionTemplate() = default;
  // Errors name the place: "${...} at position 8: column 3: unknown function 'foo' ...".
  // `scope`: the rule's SET variables the parts may name (${@device}); by default every
  // @name passes (a syntax check before the rule's statement is compiled).
  static Result<SubstitutionTemplate> Compile(
      std::string_view text, const expr::VariableScope& scope = {nullptr, 0, true});

  // Undefined and Null parts render as ""; other values by the String conversion.
  std::string Render(const expr::Message& m) const;
  const std::string& text() const { return text_; }
  // True when there is no ${...} part.
  bool is_literal() const { return parts_.size() <= 1 && (parts_.empty() || !parts_[0].node); }
  // The text before the first ${...} part (the whole text when literal): what every
  // rendering starts with.
  std::string_view literal_prefix() const {
    return parts_.empty() || parts_[0].node ? std::string_view()
                                            : std::string_view(parts_[0].literal);
  }
  // Whether a literal part (not substituted text) holds one of `chars`.
  bool LiteralHoldsAnyOf(std::string_view chars) const {
    for (const Part& part : parts_) {
      if (!part.node && part.literal.find_first_of(chars) != std::string::npos) return true;
    }
    return false;
  }

 private:
  struct Part {
    std::string literal;
    std::shared_ptr<const expr::Node> node;  // set for ${...} parts
  };
  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace tributary::rules
