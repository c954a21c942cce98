package kernel

// vecPlan records which float32 vector kernels a Conv uses; all fields are
// false in builds without the vector kernels, for float64 and when the CPU
// lacks AVX2 or FMA.
type vecPlan struct {
	fwd8       bool // Forward, Cout a multiple of 8
	fwd1       bool // Forward, Cout 1 and Cin a multiple of 8
	bwiScatter bool // BackInput, Cout and Cin multiples of 8
	bwiGather  bool // BackInput, Cout 1, stride 1 and Cin a multiple of 8
	bwf8       bool // BackFilter, Cout a multiple of 8
	bwf1       bool // BackFilter, Cout 1 and Cin a multiple of 8
}

// any reports whether at least one vector kernel is used.
func (v vecPlan) any() bool {
	return v.fwd8 || v.fwd1 || v.bwiScatter || v.bwiGather || v.bwf8 || v.bwf1
}
