//! The `Module` trait: a forward pass over a tape, and named access to parameters.

use ndarray::{ArrayViewD, ArrayViewMutD};
use tapegrad_tape::{Float, Parameters, Tape, Var};

use crate::NnError;

/// A layer or a model: parameters it owns ([`Parameters`], the supertrait: named arrays
/// visited in a fixed order), buffers and random states it may keep, and a forward pass
/// that records onto a tape.
///
/// Parameters are ordinary arrays owned by the module. `forward` borrows them onto the
/// tape with [`Tape::param`] (no copy per step), and after `backward` each parameter's
/// gradient is found with [`Grads::param`](tapegrad_tape::Grads::param) by the array
/// itself — which is how optimizers pair parameters with gradients.
///
/// Parameters have stable hierarchical names: a layer names its own (`weight`, `bias`),
/// and a container prefixes its children's (`layers.0.weight`, with [`visit_child`]), as
/// PyTorch's `named_parameters` does. Those names are the keys of saved weights and
/// optimizer state. Optimizers need only the [`Parameters`] half, so they do not depend
/// on layers.
///
/// Modules are `Send`, so a model (and a `Sequential` of boxed layers) can be moved to
/// another thread to train or serve there; keep per-module caches in `RefCell`, `Mutex`
/// or plain fields, not `Rc`.
///
/// ```
/// use ndarray::{Array2, ArrayViewD, ArrayViewMutD};
/// use tapegrad_nn::{Module, NnError, Parameters};
/// use tapegrad_tape::{Float, Tape, Var};
///
/// /// `y = x · s` with one learnable scale per feature.
/// struct Scale<T> { scale: ndarray::Array1<T> }
/// impl<T: Float> Parameters<T> for Scale<T> {
///     fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {
///         visit("scale", self.scale.view().into_dyn());
///     }
///     fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
///         visit("scale", self.scale.view_mut().into_dyn());
///     }
/// }
/// impl<T: Float> Module<T> for Scale<T> {
///     fn forward<'t>(&'t self, tape: &'t Tape<'t, T>, x: Var<'t, T>) -> Result<Var<'t, T>, NnError> {
///         Ok(x * tape.param(&self.scale))
///     }
/// }
///
/// let layer = Scale { scale: ndarray::array![2.0, 3.0] };
/// assert_eq!(layer.param_count(), 2);
/// assert_eq!(layer.param_names(), ["scale"]);
/// let tape = Tape::new();
/// let y = layer.forward(&tape, tape.constant(ndarray::array![[1.0, 1.0]])).unwrap();
/// assert_eq!(y.value(), ndarray::array![[2.0, 3.0]].into_dyn());
/// ```
pub trait Module<T: Float>: Parameters<T> + Send {
    /// Records the forward pass of a batch onto `tape` and returns the output.
    ///
    /// The built-in layers mark every value they record as created at the line that
    /// called them (their `forward` is `#[track_caller]`), so a graph or trace of a model
    /// shows the user's lines, not the library's; so do containers, which call their
    /// children through [`forward_child`](Module::forward_child). An implementation of
    /// your own marks values with its own lines, as any code does.
    ///
    /// # Errors
    /// [`NnError::InputShape`] when the input's shape does not fit the layer, naming the
    /// layer and both shapes.
    fn forward<'t>(&'t self, tape: &'t Tape<'t, T>, input: Var<'t, T>) -> Result<Var<'t, T>, NnError>;

    /// [`forward`](Module::forward), called the way a container calls a child it holds as
    /// `dyn Module`: the caller's line reaches a built-in layer through the trait object
    /// (a `#[track_caller]` method of the trait keeps it across dynamic dispatch; one of
    /// an implementation alone does not). Not meant to be overridden.
    ///
    /// # Errors
    /// As [`forward`](Module::forward).
    ///
    /// ```
    /// use tapegrad_nn::{Module, ReLU};
    /// let layer: Box<dyn Module<f64>> = Box::new(ReLU);
    /// let tape = tapegrad_tape::Tape::new();
    /// let y = layer.forward_child(&tape, tape.constant(ndarray::array![[-1.0, 2.0]])).unwrap();
    /// assert_eq!(y.value(), ndarray::array![[0.0, 2.0]].into_dyn());
    /// assert!(tape.to_dot(None).contains(file!()));
    /// ```
    #[track_caller]
    fn forward_child<'t>(&'t self, tape: &'t Tape<'t, T>, input: Var<'t, T>) -> Result<Var<'t, T>, NnError> {
        // A row of the summary being taken on this thread, if one is (`summary`).
        let row = crate::summary::enter(self);
        let output = self.forward(tape, input);
        if row.is_some() {
            // Only while a summary is taken: `shape()` allocates.
            crate::summary::leave(row, output.as_ref().ok().map(|y| y.shape()));
        }
        output
    }

    /// What the layer is, as a [`summary`](crate::summary) and errors print it
    /// (`Dense(3 → 2)`, `Dropout(p = 0.5)`). By default the type's name without its path
    /// and generic arguments (`Net` for `my_crate::Net<f64>`).
    ///
    /// ```
    /// use tapegrad_nn::{Dense, Module, ReLU};
    /// let r = &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    /// assert_eq!(Module::<f64>::layer_name(&ReLU), "ReLU");
    /// assert_eq!(Dense::<f64>::new(3, 2, r).layer_name(), "Dense(3 → 2)");
    /// ```
    fn layer_name(&self) -> String {
        let full = std::any::type_name::<Self>();
        let path = full.split('<').next().unwrap_or(full);
        path.rsplit("::").next().unwrap_or(path).to_string()
    }

    /// Calls `visit(name, child)` for every sub-module this module is made of, in a fixed
    /// order (PyTorch's `named_children`). A composite implements this and
    /// [`visit_children_mut`](Module::visit_children_mut) — two methods of one line per
    /// child — and everything else follows: its buffers, random states and training mode
    /// are its children's (the defaults of the methods below), and its parameters are
    /// too with [`visit_children_params`] in its [`Parameters`]. Nothing can then be left
    /// out by forgetting a method. None by default (a leaf layer).
    ///
    /// ```
    /// use ndarray::{ArrayViewD, ArrayViewMutD};
    /// use tapegrad_nn::{visit_children_params, visit_children_params_mut, BatchNorm1d, Dense, Dropout, Module, NnError, Parameters};
    /// use tapegrad_tape::{Tape, Var};
    ///
    /// /// A custom composite with the least code: its running statistics, its dropout's
    /// /// random state and its training mode are all visited.
    /// struct Net { dense: Dense<f32>, norm: BatchNorm1d<f32>, drop: Dropout }
    /// impl Parameters<f32> for Net {
    ///     fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f32>)) {
    ///         visit_children_params(self, visit)
    ///     }
    ///     fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f32>)) {
    ///         visit_children_params_mut(self, visit)
    ///     }
    /// }
    /// impl Module<f32> for Net {
    ///     fn forward<'t>(&'t self, tape: &'t Tape<'t, f32>, x: Var<'t, f32>) -> Result<Var<'t, f32>, NnError> {
    ///         self.drop.forward(tape, self.norm.forward(tape, self.dense.forward(tape, x)?)?)
    ///     }
    ///     fn visit_children<'a>(&'a self, visit: &mut dyn FnMut(&str, &'a dyn Module<f32>)) {
    ///         visit("dense", &self.dense);
    ///         visit("norm", &self.norm);
    ///         visit("drop", &self.drop);
    ///     }
    ///     fn visit_children_mut(&mut self, visit: &mut dyn FnMut(&str, &mut dyn Module<f32>)) {
    ///         visit("dense", &mut self.dense);
    ///         visit("norm", &mut self.norm);
    ///         visit("drop", &mut self.drop);
    ///     }
    /// }
    /// let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    /// let mut net = Net { dense: Dense::new(3, 2, &mut rng), norm: BatchNorm1d::new(2), drop: Dropout::new(0.5, 1)? };
    /// assert_eq!(net.param_names(), ["dense.weight", "dense.bias", "norm.weight", "norm.bias"]);
    /// let mut buffers = Vec::new();
    /// net.visit_buffers(&mut |name, _| buffers.push(name.to_string()));
    /// assert_eq!(buffers, ["norm.running_mean", "norm.running_var"]);
    /// let mut states = Vec::new();
    /// net.visit_random_states(&mut |name, _| states.push(name.to_string()));
    /// assert_eq!(states, ["drop.random"]);
    /// # Ok::<(), NnError>(())
    /// ```
    fn visit_children<'a>(&'a self, visit: &mut dyn FnMut(&str, &'a dyn Module<T>)) {
        let _ = visit;
    }

    /// Calls `visit(name, child)` for every sub-module, mutably, in the same order as
    /// [`visit_children`](Module::visit_children). None by default.
    fn visit_children_mut(&mut self, visit: &mut dyn FnMut(&str, &mut dyn Module<T>)) {
        let _ = visit;
    }

    /// Calls `visit(name, buffer)` for every buffer, in a fixed order: state that is saved
    /// and loaded with the weights but not trained, such as
    /// [`BatchNorm1d`](crate::BatchNorm1d)'s running statistics (PyTorch's
    /// `register_buffer`). Buffers share the parameters' names (`layers.1.running_mean`)
    /// and are never seen by optimizers. None by default.
    ///
    /// The view lives only for the call, so a module may keep its buffers in a `RefCell`
    /// and update them in `forward`. By default, the children's buffers, prefixed with
    /// their names (none for a leaf).
    ///
    /// ```
    /// use tapegrad_nn::{BatchNorm1d, Module};
    /// let layer = BatchNorm1d::<f32>::new(3);
    /// let mut names = Vec::new();
    /// layer.visit_buffers(&mut |name, buffer| names.push((name.to_string(), buffer.len())));
    /// assert_eq!(names, [("running_mean".to_string(), 3), ("running_var".to_string(), 3)]);
    /// ```
    fn visit_buffers(&self, visit: &mut dyn FnMut(&str, ArrayViewD<'_, T>)) {
        self.visit_children(&mut |name, child| visit_child_buffers(name, child, visit));
    }

    /// Calls `visit(name, buffer)` for every buffer, mutably, in the same order as
    /// [`visit_buffers`](Module::visit_buffers). By default, the children's.
    fn visit_buffers_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        self.visit_children_mut(&mut |name, child| visit_child_buffers_mut(name, child, visit));
    }

    /// Calls `visit(name, state)` for the state of every random number generator the
    /// module draws from in `forward` ([`Dropout`](crate::Dropout)'s), in a fixed order,
    /// so that a training checkpoint can save them and a resumed run draw the same numbers.
    /// By default, the children's (see [`visit_children`](Module::visit_children)); none
    /// for a leaf.
    ///
    /// ```
    /// use tapegrad_nn::{Dropout, Module, RandomState, Sequential, ReLU};
    /// let mut model = Sequential::<f32>::new().add(ReLU).add(Dropout::new(0.5, 42)?);
    /// let mut states = Vec::new();
    /// model.visit_random_states(&mut |name, state| states.push((name.to_string(), *state)));
    /// assert_eq!(states, [("layers.1.random".to_string(), RandomState { seed: 42, draws: 0 })]);
    /// # Ok::<(), tapegrad_nn::NnError>(())
    /// ```
    fn visit_random_states(&mut self, visit: &mut dyn FnMut(&str, &mut RandomState)) {
        self.visit_children_mut(&mut |name, child| visit_child_random_states(name, child, visit));
    }

    /// Switches between training and evaluation behaviour (e.g. Dropout is the identity
    /// in evaluation). By default every child is switched; a leaf without such behaviour
    /// ignores it.
    fn set_training(&mut self, training: bool) {
        self.visit_children_mut(&mut |_, child| child.set_training(training));
    }
}

/// A composite's parameters: its children's ([`Module::visit_children`]), each prefixed
/// with the child's name — the whole [`visit_params`](Parameters::visit_params) of a
/// module made of sub-modules (see the example there).
pub fn visit_children_params<'a, T: Float, M: Module<T> + ?Sized>(
    module: &'a M,
    visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>),
) {
    module.visit_children(&mut |name, child| visit_child(name, child, visit));
}

/// [`visit_children_params`] for [`visit_params_mut`](Parameters::visit_params_mut).
pub fn visit_children_params_mut<T: Float, M: Module<T> + ?Sized>(
    module: &mut M,
    visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>),
) {
    module.visit_children_mut(&mut |name, child| visit_child_mut(name, child, visit));
}

/// Visits `child`'s parameters with their names prefixed by `prefix` and a dot: what a
/// container's or a custom module's [`visit_params`](Parameters::visit_params) does for each
/// child, so no module writes the prefixes by hand (and the names stay PyTorch's
/// `named_parameters` form). Names are built in a stack buffer: no heap string per
/// parameter for names under 96 bytes.
///
/// ```
/// use ndarray::{ArrayViewD, ArrayViewMutD};
/// use tapegrad_nn::{visit_child, visit_child_mut, Dense, Module, NnError, Parameters};
/// use tapegrad_tape::{Tape, Var};
///
/// /// An encoder and a head, as a custom module.
/// struct TwoPart { encoder: Dense<f64>, head: Dense<f64> }
/// impl Parameters<f64> for TwoPart {
///     fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f64>)) {
///         visit_child("encoder", &self.encoder, visit);
///         visit_child("head", &self.head, visit);
///     }
///     fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f64>)) {
///         visit_child_mut("encoder", &mut self.encoder, visit);
///         visit_child_mut("head", &mut self.head, visit);
///     }
/// }
/// impl Module<f64> for TwoPart {
///     fn forward<'t>(&'t self, tape: &'t Tape<'t, f64>, x: Var<'t, f64>) -> Result<Var<'t, f64>, NnError> {
///         self.head.forward(tape, self.encoder.forward(tape, x)?.relu())
///     }
/// }
/// let model = TwoPart {
///     encoder: Dense::from_arrays(ndarray::Array2::zeros((3, 4)), Some(ndarray::Array1::zeros(4))),
///     head: Dense::from_arrays(ndarray::Array2::zeros((4, 2)), None),
/// };
/// assert_eq!(model.param_names(), ["encoder.weight", "encoder.bias", "head.weight"]);
/// ```
pub fn visit_child<'a, T: Float>(
    prefix: impl std::fmt::Display,
    child: &'a (impl Parameters<T> + ?Sized),
    visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>),
) {
    let mut full = NameBuffer::default();
    child.visit_params(&mut |name, param| visit(full.name(&prefix, name), param));
}

/// [`visit_child`] for [`visit_buffers`](Module::visit_buffers): `child`'s buffers with
/// their names prefixed by `prefix` and a dot.
///
/// ```
/// use tapegrad_nn::{visit_child_buffers, BatchNorm1d};
/// let layer = BatchNorm1d::<f32>::new(2);
/// let mut names = Vec::new();
/// visit_child_buffers("norm", &layer, &mut |name, _| names.push(name.to_string()));
/// assert_eq!(names, ["norm.running_mean", "norm.running_var"]);
/// ```
pub fn visit_child_buffers<T: Float>(
    prefix: impl std::fmt::Display,
    child: &(impl Module<T> + ?Sized),
    visit: &mut dyn FnMut(&str, ArrayViewD<'_, T>),
) {
    let mut full = NameBuffer::default();
    child.visit_buffers(&mut |name, buffer| visit(full.name(&prefix, name), buffer));
}

/// [`visit_child`] for [`visit_buffers_mut`](Module::visit_buffers_mut).
///
/// ```
/// use tapegrad_nn::{visit_child_buffers_mut, BatchNorm1d};
/// let mut layer = BatchNorm1d::<f32>::new(2);
/// visit_child_buffers_mut("norm", &mut layer, &mut |_, mut buffer| buffer.fill(0.5));
/// assert_eq!(layer.running_var().to_vec(), vec![0.5, 0.5]);
/// ```
pub fn visit_child_buffers_mut<T: Float>(
    prefix: impl std::fmt::Display,
    child: &mut (impl Module<T> + ?Sized),
    visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>),
) {
    let mut full = NameBuffer::default();
    child.visit_buffers_mut(&mut |name, buffer| visit(full.name(&prefix, name), buffer));
}

/// [`visit_child`] for [`visit_random_states`](Module::visit_random_states).
///
/// ```
/// use tapegrad_nn::{visit_child_random_states, Dropout};
/// let mut dropout = Dropout::new(0.1, 7)?;
/// let mut names = Vec::new();
/// visit_child_random_states::<f32>("head", &mut dropout, &mut |name, _| names.push(name.to_string()));
/// assert_eq!(names, ["head.random"]);
/// # Ok::<(), tapegrad_nn::NnError>(())
/// ```
pub fn visit_child_random_states<T: Float>(
    prefix: impl std::fmt::Display,
    child: &mut (impl Module<T> + ?Sized),
    visit: &mut dyn FnMut(&str, &mut RandomState),
) {
    let mut full = NameBuffer::default();
    child.visit_random_states(&mut |name, state| visit(full.name(&prefix, name), state));
}

/// Names every parameter of `model` that `tape` recorded with its dotted name
/// (`layers.0.weight`), for graphs and traces ([`Tape::name_param`]); returns how many were
/// found. Call it after `forward`, before drawing.
///
/// ```
/// use tapegrad_nn::{name_params, Dense, Module, ReLU, Sequential};
/// use tapegrad_tape::Tape;
/// let r = &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
/// let model = Sequential::<f64>::new().add(Dense::new(2, 3, r)).add(ReLU).add(Dense::new(3, 1, r));
/// let tape = Tape::new();
/// let y = model.forward(&tape, tape.constant(ndarray::array![[1.0, 2.0]])).unwrap().sum();
/// assert_eq!(name_params(&tape, &model), 4);
/// let grads = tape.backward(y);
/// assert!(tape.to_dot(Some(&grads)).contains(r#"\"layers.2.weight\" param"#));
/// ```
pub fn name_params<T: Float, M: Module<T> + ?Sized>(tape: &Tape<'_, T>, model: &M) -> usize {
    let mut found = 0;
    model.visit_params(&mut |name, param| found += usize::from(tape.name_param(&param, name)));
    found
}

/// Copies of `model`'s buffers, in visiting order (none, and nothing allocated, for most
/// models): what work that runs the model and must leave it as it was (a check, a probe,
/// a skipped batch) puts back with [`assign_buffers`].
///
/// ```
/// use tapegrad_nn::{assign_buffers, copy_buffers, BatchNorm1d, Module};
/// let mut norm = BatchNorm1d::<f32>::new(2);
/// let saved = copy_buffers(&norm);
/// norm.visit_buffers_mut(&mut |_, mut buffer| buffer.fill(7.0));
/// assign_buffers(&mut norm, saved);
/// assert_eq!(norm.running_var().to_vec(), vec![1.0, 1.0]);
/// ```
pub fn copy_buffers<T: Float, M: Module<T> + ?Sized>(model: &M) -> Vec<ndarray::ArrayD<T>> {
    let mut buffers = Vec::new();
    model.visit_buffers(&mut |_, buffer| buffers.push(buffer.to_owned()));
    buffers
}

/// Puts copies taken by [`copy_buffers`] back, in visiting order (a copy of another shape
/// is skipped).
pub fn assign_buffers<T: Float, M: Module<T> + ?Sized>(model: &mut M, buffers: Vec<ndarray::ArrayD<T>>) {
    let mut buffers = buffers.into_iter();
    model.visit_buffers_mut(&mut |_, mut buffer| {
        if let Some(saved) = buffers.next().filter(|saved| saved.shape() == buffer.shape()) {
            buffer.assign(&saved);
        }
    });
}

/// `model`'s random states, in visiting order, to be put back with
/// [`assign_random_states`] after forward passes that must not count as draws.
///
/// ```
/// use tapegrad_nn::{assign_random_states, copy_random_states, Dropout, Module, RandomState};
/// let mut dropout = Dropout::new(0.5, 3)?;
/// let saved = copy_random_states::<f32, _>(&mut dropout);
/// Module::<f32>::visit_random_states(&mut dropout, &mut |_, state| state.draws = 99);
/// assign_random_states::<f32, _>(&mut dropout, &saved);
/// assert_eq!(copy_random_states::<f32, _>(&mut dropout), [RandomState { seed: 3, draws: 0 }]);
/// # Ok::<(), tapegrad_nn::NnError>(())
/// ```
pub fn copy_random_states<T: Float, M: Module<T> + ?Sized>(model: &mut M) -> Vec<RandomState> {
    let mut states = Vec::new();
    model.visit_random_states(&mut |_, state| states.push(*state));
    states
}

/// Puts states taken by [`copy_random_states`] back, in visiting order.
pub fn assign_random_states<T: Float, M: Module<T> + ?Sized>(model: &mut M, states: &[RandomState]) {
    let mut states = states.iter();
    model.visit_random_states(&mut |_, state| {
        if let Some(saved) = states.next() {
            *state = *saved;
        }
    });
}

/// The state of a random number generator that a module draws from: a seed and the
/// number of draws made so far (Dropout counts a draw per forward pass, and seeds each
/// pass's generator from both numbers). Two numbers, so a checkpoint saves it exactly.
///
/// ```
/// use rand::RngExt;
/// let state = tapegrad_nn::RandomState { seed: 7, draws: 3 };
/// let (a, b): (u64, u64) = (state.generator().random(), state.generator().random());
/// assert_eq!(a, b); // the same state, the same numbers
/// let next = tapegrad_nn::RandomState { draws: 4, ..state };
/// assert_ne!(a, next.generator().random::<u64>());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RandomState {
    /// The seed the module was built with.
    pub seed: u64,
    /// How many draws (forward passes) have been made.
    pub draws: u64,
}

impl RandomState {
    /// The generator for the next draw: `StdRng` seeded with a mix of both numbers
    /// (SplitMix64's finaliser, so neighbouring counts give unrelated seeds).
    pub fn generator(self) -> rand::rngs::StdRng {
        use rand::SeedableRng;
        let mut z = self.seed ^ self.draws.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        rand::rngs::StdRng::seed_from_u64(z ^ (z >> 31))
    }
}

/// [`visit_child`] for [`visit_params_mut`](Parameters::visit_params_mut).
///
/// ```
/// use tapegrad_nn::{visit_child_mut, Dense};
/// let mut layer = Dense::<f32>::from_arrays(ndarray::Array2::zeros((1, 1)), None);
/// let mut names = Vec::new();
/// visit_child_mut("layers.3", &mut layer, &mut |name, _| names.push(name.to_string()));
/// assert_eq!(names, ["layers.3.weight"]);
/// ```
pub fn visit_child_mut<T: Float>(
    prefix: impl std::fmt::Display,
    child: &mut (impl Parameters<T> + ?Sized),
    visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>),
) {
    let mut full = NameBuffer::default();
    child.visit_params_mut(&mut |name, param| visit(full.name(&prefix, name), param));
}

/// Builds `{prefix}.{name}` in a stack buffer (a heap string only for names longer than
/// it), so an optimizer step over a model formats no strings on the heap.
struct NameBuffer {
    bytes: [u8; 96],
    spill: String,
}

impl Default for NameBuffer {
    fn default() -> Self {
        NameBuffer { bytes: [0; 96], spill: String::new() }
    }
}

impl NameBuffer {
    fn name(&mut self, prefix: &impl std::fmt::Display, name: &str) -> &str {
        use std::io::Write;
        let mut cursor = std::io::Cursor::new(&mut self.bytes[..]);
        if write!(cursor, "{prefix}.{name}").is_ok() {
            let len = cursor.position() as usize;
            if let Some(Ok(text)) = self.bytes.get(..len).map(std::str::from_utf8) {
                return text;
            }
        }
        self.spill = format!("{prefix}.{name}");
        &self.spill
    }
}
