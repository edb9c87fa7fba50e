// InlineFunction<R(Args...), Capacity>: a move-only std::function whose callable lives
// inside the object when it fits in `Capacity` bytes, so handing a completion callback
// down a hot path (broker -> rules -> stream -> WAL, once per message) allocates nothing.
// A callable too big for it, or whose move may throw, goes to the heap as std::function's
// would. Calling an empty one is undefined (check with operator bool first).
//
//   using Done = InlineFunction<void(const Status&), 64>;
//   Done d = [conn = shared_from_this(), id](const Status& s) { conn->Ack(id, s); };
//   if (d) d(Status::Ok());
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace tributary {

template <class Signature, size_t Capacity = 48>
class InlineFunction;

template <class R, class... Args, size_t Capacity>
class InlineFunction<R(Args...), Capacity> {
 public:
  InlineFunction() noexcept = default;
  InlineFunction(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)

  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, InlineFunction> &&
                                     std::is_invocable_r_v<R, D&, Args...>>>
  InlineFunction(F&& f) {  // NOLINT(google-explicit-constructor)
    if constexpr (std::is_same_v<D, std::nullptr_t>) {
      return;
    } else {
      if constexpr (std::is_constructible_v<bool, const D&>) {
        if (!static_cast<bool>(f)) return;  // an empty std::function or a null pointer
      }
      if constexpr (kFitsInline<D>) {
        ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
        ops_ = &kInlineOps<D>;
      } else {
        ::new (static_cast<void*>(storage_)) D*(new D(std::forward<F>(f)));
        ops_ = &kHeapOps<D>;
      }
    }
  }

  InlineFunction(InlineFunction&& other) noexcept { TakeFrom(other); }
  InlineFunction& operator=(InlineFunction&& other) noexcept {
    if (this != &other) {
      Reset();
      TakeFrom(other);
    }
    return *this;
  }
  InlineFunction& operator=(std::nullptr_t) noexcept {
    Reset();
    return *this;
  }
  InlineFunction(const InlineFunction&) = delete;
  InlineFunction& operator=(const InlineFunction&) = delete;
  ~InlineFunction() { Reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  R operator()(Args... args) const {
    return ops_->invoke(const_cast<unsigned char*>(storage_), std::forward<Args>(args)...);
  }

 private:
  struct Ops {
    R (*invoke)(void* storage, Args&&... args);
    void (*move)(void* from, void* to) noexcept;  // move-constructs `to`, destroys `from`
    void (*destroy)(void* storage) noexcept;
  };

  template <class D>
  static constexpr bool kFitsInline = sizeof(D) <= Capacity &&
                                      alignof(D) <= alignof(std::max_align_t) &&
                                      std::is_nothrow_move_constructible_v<D>;

  template <class D>
  static constexpr Ops kInlineOps = {
      [](void* s, Args&&... args) -> R {
        return (*static_cast<D*>(s))(std::forward<Args>(args)...);
      },
      [](void* from, void* to) noexcept {
        ::new (to) D(std::move(*static_cast<D*>(from)));
        static_cast<D*>(from)->~D();
      },
      [](void* s) noexcept { static_cast<D*>(s)->~D(); },
  };

  template <class D>
  static constexpr Ops kHeapOps = {
      [](void* s, Args&&... args) -> R {
        return (**static_cast<D**>(s))(std::forward<Args>(args)...);
      },
      [](void* from, void* to) noexcept { ::new (to) D*(*static_cast<D**>(from)); },
      [](void* s) noexcept { delete *static_cast<D**>(s); },
  };

  void TakeFrom(InlineFunction& other) noexcept {
    if (other.ops_ != nullptr) {
      other.ops_->move(other.storage_, storage_);
      ops_ = other.ops_;
      other.ops_ = nullptr;
    }
  }
  void Reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

  alignas(std::max_align_t) unsigned char storage_[Capacity];
  const Ops* ops_ = nullptr;
};

}  // namespace tributary
