using System;

namespace NetGen
{
    /// <summary>
    /// Asks the NetGen generator to add a nested <c>SparseModel</c> class to a network marked
    /// with <see cref="NetworkAttribute"/>: an inference-only copy of a pruned network that runs
    /// each fully connected layer with a sparse kernel where that is faster than dense.
    /// </summary>
    /// <remarks>
    /// The generated <c>SparseModel(network, maxBatchSize)</c> copies the network's parameters
    /// when it is constructed, so later training of the network does not change it. See
    /// <see cref="Sparse.SparseDenseLayer"/> for how each layer picks its format.
    /// </remarks>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class SparseInferenceAttribute : Attribute
    {
    }
}
