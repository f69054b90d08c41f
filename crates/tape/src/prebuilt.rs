//! The ops' f32 and f64 code, compiled once here rather than in every crate that uses it.
//!
//! Every tapegrad function is generic over the element type, so by default it is compiled
//! (monomorphised and optimised) in each crate that calls it: each test binary, example
//! and doctest of the workspace compiled its own copy of the ops, the backward pass and
//! their kernels, and so does every program a user builds. In unoptimised and `opt-level`
//! 1 builds rustc shares generic code across crates (`-Z share-generics`, on by default
//! at those levels): a crate calls a copy compiled upstream when there is one. This list
//! makes sure there is: naming a function for `f32` and `f64` here compiles it in this
//! crate. Optimised builds do not share generics (they inline across crates instead), so
//! the list is compiled only with debug assertions, and not into this crate's own unit
//! tests. Why, and what it saved: `docs/DESIGN.md`, "Why a list of prebuilt functions, and
//! trait objects in the gradient checkers?".
//!
//! A function missing from the list still works everywhere; it is only compiled again by
//! each crate that calls it.

use ndarray::{Array1, Array2, ArrayD, ArrayView2, ArrayViewD, Ix1, Ix2, IxDyn, OwnedRepr, ViewRepr};

use crate::{Grads, Tape, Value, Var};

/// An untyped function address: what the list holds.
type Address = *const ();

/// `tape.var(x)` and `tape.constant(x)` for each kind of argument `x`.
macro_rules! leaves {
    ($t:ty; $($arg:ty),*) => {
        [$((Tape::<'static, $t>::var as fn(&'static Tape<'static, $t>, $arg) -> Var<'static, $t>) as Address,
           (Tape::<'static, $t>::constant as fn(&'static Tape<'static, $t>, $arg) -> Var<'static, $t>) as Address),*]
    };
}

macro_rules! prebuilt {
    ($name:ident, $t:ty) => {
        /// The address of every prebuilt function for this element type. Never called: it
        /// exists so that these functions are compiled here.
        pub fn $name() -> Vec<Address> {
            type V = Var<'static, $t>;
            type Tp = Tape<'static, $t>;
            type G = Grads<$t>;
            let mut list = leaves!(
                $t;
                ArrayD<$t>,
                Array2<$t>,
                Array1<$t>,
                ArrayViewD<'static, $t>,
                ArrayView2<'static, $t>,
                &'static ArrayD<$t>,
                &'static Array2<$t>,
                &'static Array1<$t>,
                Value<'static, $t>
            )
            .to_vec();
            list.extend([
                // Recording.
                Tp::new as Address,
                Tp::inference as Address,
                Tp::scalar as Address,
                Tp::param::<OwnedRepr<$t>, Ix1> as Address,
                Tp::param::<OwnedRepr<$t>, Ix2> as Address,
                Tp::param::<OwnedRepr<$t>, IxDyn> as Address,
                // The ops.
                V::add as Address,
                V::sub as Address,
                V::mul as Address,
                V::div as Address,
                V::neg as Address,
                V::add_scalar as Address,
                V::sub_scalar as Address,
                V::mul_scalar as Address,
                V::div_scalar as Address,
                V::exp as Address,
                V::log as Address,
                V::sqrt as Address,
                V::powf as Address,
                V::pow as Address,
                V::square as Address,
                V::abs as Address,
                V::sin as Address,
                V::cos as Address,
                V::tanh as Address,
                V::sigmoid as Address,
                V::relu as Address,
                V::leaky_relu as Address,
                V::softplus as Address,
                V::log_sigmoid as Address,
                V::maximum as Address,
                V::minimum as Address,
                V::clamp as Address,
                V::matmul as Address,
                V::affine as Address,
                V::sum as Address,
                V::sum_axes as Address,
                V::sum_to as Address,
                V::mean as Address,
                V::mean_axes as Address,
                V::max as Address,
                V::max_axes as Address,
                V::min as Address,
                V::min_axes as Address,
                V::log_sum_exp as Address,
                V::log_sum_exp_axes as Address,
                V::log_softmax as Address,
                V::softmax as Address,
                V::reshape as Address,
                V::permute as Address,
                V::transpose as Address,
                V::t as Address,
                V::broadcast_to as Address,
                V::concat as Address,
                V::slice_axis as Address,
                V::shift as Address,
                V::cumsum as Address,
                V::index_add as Address,
                V::fill_triangle as Address,
                V::diag_embed as Address,
                V::select as Address,
                V::gather::<OwnedRepr<usize>, Ix1> as Address,
                V::gather::<OwnedRepr<usize>, Ix2> as Address,
                V::gather::<OwnedRepr<usize>, IxDyn> as Address,
                V::detach as Address,
                V::named as Address,
                V::value as Address,
                V::item as Address,
                V::shape as Address,
                // Differentiating.
                Tp::backward as Address,
                Tp::try_backward as Address,
                Tp::backward_with_seed as Address,
                Tp::backward_trace as Address,
                Tp::grad as Address,
                Tp::hessian_vector_product as Address,
                Tp::jacobian_vector_product as Address,
                Tp::jacobian as Address,
                Tp::hessian as Address,
                Tp::batch_jacobian as Address,
                Tp::grad_and_hessian_diagonal as Address,
                Tp::jacobian_times as Address,
                Tp::to_dot as Address,
                Tp::branch_signature as Address,
                (G::get as for<'a> fn(&'a G, V) -> Option<ArrayViewD<'a, $t>>) as Address,
                G::get_or_zeros as Address,
                G::param::<OwnedRepr<$t>, Ix1> as Address,
                G::param::<OwnedRepr<$t>, Ix2> as Address,
                G::param::<OwnedRepr<$t>, IxDyn> as Address,
                G::param::<ViewRepr<&'static $t>, IxDyn> as Address,
                G::param_mut::<OwnedRepr<$t>, Ix1> as Address,
                G::param_mut::<OwnedRepr<$t>, Ix2> as Address,
                G::param_mut::<OwnedRepr<$t>, IxDyn> as Address,
            ]);
            list
        }
    };
}

prebuilt!(f32_functions, f32);
prebuilt!(f64_functions, f64);
