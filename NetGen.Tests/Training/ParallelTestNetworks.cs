namespace NetGen.Tests.Training;

// A generated classifier for the multithreaded trainer tests. Its widths (23, 20, 5) are not
// multiples of the vector width, so the dense kernels run their vector loops and their tails.
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(23)]
[Dense(20, Activation.Tanh)]
[Dense(5)]
internal sealed partial class ParallelTestMlp;
