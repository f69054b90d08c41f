//! `Var`: a cheap, copyable handle to one value recorded on a tape, and its operators.

use std::fmt;
use std::ops::{Add, Div, Mul, Neg, Sub};

use ndarray::ArrayD;

use crate::store::{Node, Origin};
use crate::tape::NodeKind;
use crate::{Float, Tape};

/// A handle to one value on a [`Tape`]: a tape reference and an index, so it is `Copy`
/// and free to pass around. Every op method records a new node and returns its handle.
///
/// Arithmetic works on values and references alike (`&a + &b`, `a * 2.0`, `-x`), with
/// NumPy broadcasting for every binary op.
///
/// ```
/// use ndarray::array;
/// use tapegrad_tape::Tape;
///
/// let tape = Tape::new();
/// let a = tape.var(array![1.0, 2.0, 3.0]);
/// let b = tape.var(array![[10.0], [20.0]]);        // broadcasts against a
/// let c = (&a * &b + 1.0).sum();                    // Σ (a·b + 1)
/// assert_eq!(c.item(), 6.0 * 30.0 + 6.0);
/// let grads = tape.backward(c);
/// // ∂c/∂a = Σ over the broadcast rows of b = [30, 30, 30]
/// assert_eq!(grads.get(a).unwrap(), &array![30.0, 30.0, 30.0].into_dyn());
/// ```
#[derive(Clone, Copy)]
pub struct Var<'t, T: Float> {
    pub(crate) tape: &'t Tape<'t, T>,
    pub(crate) index: usize,
}

/// The identity of a [`Var`] without its tape borrow, for looking gradients up in a
/// [`Grads`](crate::Grads) after the tape is gone.
///
/// ```
/// let tape = tapegrad_tape::Tape::new();
/// let x = tape.var(ndarray::array![1.0]);
/// let id = x.id();
/// assert_eq!(id.index(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VarId {
    pub(crate) tape: u64,
    pub(crate) index: usize,
}

impl VarId {
    /// Position of the node on its tape (creation order).
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let _a = tape.var(ndarray::array![1.0]);
    /// let b = tape.var(ndarray::array![2.0]);
    /// assert_eq!(b.id().index(), 1);
    /// ```
    pub fn index(self) -> usize {
        self.index
    }
}

impl<'t, T: Float> From<Var<'t, T>> for VarId {
    fn from(var: Var<'t, T>) -> VarId {
        var.id()
    }
}

impl<'t, T: Float> From<&Var<'t, T>> for VarId {
    fn from(var: &Var<'t, T>) -> VarId {
        var.id()
    }
}

impl<'t, T: Float> Var<'t, T> {
    pub(crate) fn new(tape: &'t Tape<'t, T>, index: usize) -> Self {
        Var { tape, index }
    }

    /// Runs `f` on the recorded node.
    pub(crate) fn with_node<R>(&self, f: impl FnOnce(&Node<T>) -> R) -> R {
        f(&self.tape.nodes.borrow()[self.index])
    }

    /// This value's identity, usable after the tape is dropped.
    ///
    /// ```
    /// let (grads, id) = {
    ///     let tape = tapegrad_tape::Tape::new();
    ///     let x = tape.var(ndarray::array![3.0]);
    ///     (tape.backward((x * x).sum()), x.id())
    /// }; // the tape is gone here; the gradients and the id remain
    /// assert_eq!(grads.get(id).unwrap()[[0]], 6.0);
    /// ```
    pub fn id(&self) -> VarId {
        VarId { tape: self.tape.id, index: self.index }
    }

    /// The tape this value lives on.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::<f64>::new();
    /// let x = tape.scalar(1.0);
    /// assert!(std::ptr::eq(x.tape(), &tape));
    /// ```
    pub fn tape(&self) -> &'t Tape<'t, T> {
        self.tape
    }

    /// A copy of the value.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0, 4.0]);
    /// assert_eq!(x.sqrt().value(), ndarray::array![1.0, 2.0].into_dyn());
    /// ```
    pub fn value(&self) -> ArrayD<T> {
        self.with_value(|value| value.to_owned())
    }

    /// Calls `f` with a view of the value, without copying it.
    ///
    /// # Panics
    /// If `f` records anything on the tape (the view borrows the tape's values); the
    /// message says so and names the op. Use [`value`](Var::value) for a copy instead.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0, 4.0]);
    /// assert_eq!(x.with_value(|v| v.sum()), 5.0);
    /// ```
    pub fn with_value<R>(&self, f: impl FnOnce(&ndarray::ArrayViewD<'_, T>) -> R) -> R {
        f(&self.tape.nodes.borrow().view(self.index))
    }

    /// The single element of a one-element value (a loss, a 0-d sum).
    ///
    /// # Panics
    /// If the value has more or fewer than one element; the message names its shape.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![[1.0, 2.0]]);
    /// assert_eq!(x.sum().item(), 3.0);
    /// ```
    #[track_caller]
    pub fn item(&self) -> T {
        self.with_value(|value| {
            assert!(
                value.len() == 1,
                "item: expected a value with one element, got shape {:?}",
                value.shape()
            );
            *value.iter().next().expect("one element")
        })
    }

    /// The value's shape.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::<f32>::new();
    /// let x = tape.constant(ndarray::Array2::zeros((2, 3)));
    /// assert_eq!(x.shape(), vec![2, 3]);
    /// ```
    pub fn shape(&self) -> Vec<usize> {
        self.with_value(|value| value.shape().to_vec())
    }

    /// Number of dimensions.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::<f32>::new();
    /// assert_eq!(tape.scalar(1.0).ndim(), 0);
    /// ```
    pub fn ndim(&self) -> usize {
        self.with_value(|value| value.ndim())
    }

    /// Whether a gradient will flow to this value in backward.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0]);
    /// let c = tape.constant(ndarray::array![2.0]);
    /// assert!((x * c).requires_grad());
    /// assert!(!(c * c).requires_grad());
    /// ```
    pub fn requires_grad(&self) -> bool {
        self.with_node(|node| node.requires_grad)
    }

    /// How this node entered the tape.
    ///
    /// ```
    /// use tapegrad_tape::NodeKind;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(ndarray::array![1.0]);
    /// assert_eq!(x.kind(), NodeKind::Var);
    /// assert_eq!(x.exp().kind(), NodeKind::Op);
    /// ```
    pub fn kind(&self) -> NodeKind {
        self.with_node(|node| node.kind)
    }

    /// Gives this value a name (micrograd's `label=`), shown by
    /// [`Tape::backward_trace`](crate::Tape::backward_trace) and
    /// [`Tape::to_dot`](crate::Tape::to_dot), so the graph of a lesson reads like the
    /// lesson. Returns the same `Var`, to chain; naming again replaces the name.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x1 = tape.var(array![2.0]).named("x1");
    /// let w1 = tape.var(array![-3.0]).named("w1");
    /// let x1w1 = (x1 * w1).named("x1*w1");
    /// assert_eq!(x1w1.name().as_deref(), Some("x1*w1"));
    /// let (_, trace) = tape.backward_trace(x1w1.sum());
    /// assert!(trace.to_string().contains("node 2 \"x1*w1\" = mul"), "{trace}");
    /// assert!(trace.to_string().contains("∂L/∂x1 +="), "{trace}");
    /// assert!(tape.to_dot(None).contains(r#"#0 \"x1\" var"#));
    /// ```
    pub fn named(self, name: &str) -> Var<'t, T> {
        self.tape.labels.borrow_mut().insert(self.index, name.to_string());
        self
    }

    /// The name given with [`named`](Var::named), if any.
    ///
    /// ```
    /// let tape = tapegrad_tape::Tape::new();
    /// assert_eq!(tape.var(ndarray::array![1.0]).name(), None);
    /// ```
    pub fn name(&self) -> Option<String> {
        self.tape.labels.borrow().get(&self.index).cloned()
    }

    /// A constant with the same value: gradients stop here (`x.detach()` in PyTorch,
    /// `stop_gradient` in JAX). The value is shared, not copied.
    ///
    /// ```
    /// use ndarray::array;
    /// let tape = tapegrad_tape::Tape::new();
    /// let x = tape.var(array![2.0]);
    /// let y = (x * x.detach()).sum(); // d/dx (x · stop(x)) = stop(x) = 2
    /// assert_eq!(tape.backward(y).get(x).unwrap()[[0]], 2.0);
    /// ```
    #[track_caller]
    pub fn detach(&self) -> Var<'t, T> {
        let origin = Origin::leaf(false, NodeKind::Constant, std::panic::Location::caller());
        let index = self.tape.nodes_mut("detach").push_shared(self.index, origin);
        Var::new(self.tape, index)
    }
}

impl<T: Float> fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nodes = self.tape.nodes.borrow();
        let name = nodes[self.index].op().map_or("leaf", |op| op.name());
        let value = nodes.view(self.index);
        {
            write!(f, "Var#{}({name}, shape {:?}", self.index, value.shape())?;
            if value.len() <= 8 {
                write!(f, ", value {value}")?;
            }
            write!(f, ")")
        }
    }
}

// Operator plumbing: `a ⊕ b` for every mix of `Var` and `&Var`, and with a scalar on
// the right. Each forwards to the named method, which is where the op is documented.
macro_rules! binary_operator {
    ($trait:ident, $method:ident, $var_method:ident, $scalar_method:ident) => {
        impl<'t, T: Float> $trait<Var<'t, T>> for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: Var<'t, T>) -> Var<'t, T> {
                Var::$var_method(&self, &rhs)
            }
        }
        impl<'t, T: Float> $trait<&Var<'t, T>> for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: &Var<'t, T>) -> Var<'t, T> {
                Var::$var_method(&self, rhs)
            }
        }
        impl<'t, T: Float> $trait<Var<'t, T>> for &Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: Var<'t, T>) -> Var<'t, T> {
                Var::$var_method(&self, &rhs)
            }
        }
        impl<'t, T: Float> $trait<&Var<'t, T>> for &Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: &Var<'t, T>) -> Var<'t, T> {
                Var::$var_method(&self, rhs)
            }
        }
        impl<'t, T: Float> $trait<T> for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: T) -> Var<'t, T> {
                self.$scalar_method(rhs)
            }
        }
        impl<'t, T: Float> $trait<T> for &Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: T) -> Var<'t, T> {
                self.$scalar_method(rhs)
            }
        }
    };
}

binary_operator!(Add, add, add, add_scalar);
binary_operator!(Sub, sub, sub, sub_scalar);
binary_operator!(Mul, mul, mul, mul_scalar);
binary_operator!(Div, div, div, div_scalar);

// A scalar on the left: `2.0 * x`, `1.0 - x`, for both element types.
macro_rules! scalar_left_operators {
    ($t:ty) => {
        impl<'t> Add<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn add(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                rhs.add_scalar(self)
            }
        }
        impl<'t> Sub<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn sub(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                rhs.neg().add_scalar(self)
            }
        }
        impl<'t> Mul<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn mul(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                rhs.mul_scalar(self)
            }
        }
        impl<'t> Div<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn div(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                rhs.powf(-1.0).mul_scalar(self)
            }
        }
    };
}

scalar_left_operators!(f32);
scalar_left_operators!(f64);

impl<'t, T: Float> Neg for Var<'t, T> {
    type Output = Var<'t, T>;
    #[track_caller]
    fn neg(self) -> Var<'t, T> {
        Var::neg(&self)
    }
}

impl<'t, T: Float> Neg for &Var<'t, T> {
    type Output = Var<'t, T>;
    #[track_caller]
    fn neg(self) -> Var<'t, T> {
        Var::neg(self)
    }
}
