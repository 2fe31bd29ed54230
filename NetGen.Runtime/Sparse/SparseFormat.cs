namespace NetGen.Sparse
{
    /// <summary>Weight format, and so kernel, that a fully connected layer runs with.</summary>
    public enum SparseFormat
    {
        /// <summary>Dense weights and <see cref="Kernels.DenseKernels.Forward"/>.</summary>
        Dense,

        /// <summary>A <see cref="CsrMatrix"/> and the CSR kernels of <see cref="Kernels.SparseKernels"/>.</summary>
        Csr,

        /// <summary>A <see cref="BlockCsrMatrix"/> (1×8 blocks) and its kernels in <see cref="Kernels.SparseKernels"/>.</summary>
        BlockCsr,
    }
}
