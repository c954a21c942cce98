//go:build !(goexperiment.simd && amd64)

package kernel

// This file stands in for vec_amd64.go in builds without GOEXPERIMENT=simd
// on amd64 (including GOOS=js GOARCH=wasm): the vector kernels do not
// exist, every Conv uses the scalar kernels, and the functions below are
// never called.

// vectorEnabled is always false in this build.
var vectorEnabled = false

// vectorBuild reports whether this build contains the vector kernels.
const vectorBuild = false

func planVector(*layout) vecPlan { return vecPlan{} }

func forwardImageVec8(_ *layout, _, _, _, _ []float32)         { panic(noVector) }
func forwardImageVec1(_ *layout, _, _, _ []float32, _ float32) { panic(noVector) }
func backInputImageScatter(_ *layout, _, _, _ []float32)       { panic(noVector) }
func backFilterImageVec8(_ *layout, _, _, _ []float32)         { panic(noVector) }
func backFilterImageVec1(_ *layout, _, _, _ []float32)         { panic(noVector) }
func biasAddVec(_, _ []float32)                                { panic(noVector) }
func sigmoidVec([]float32)                                     { panic(noVector) }
func reluVec([]float32)                                        { panic(noVector) }
func reluBackwardVec(_, _, _ []float32)                        { panic(noVector) }
func sigmoidBackwardVec(_, _, _ []float32)                     { panic(noVector) }
func sumRowsAddVec(_, _ []float32)                             { panic(noVector) }

const noVector = "kernel: vector kernel called in a build without vector kernels"
