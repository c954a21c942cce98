package kernel

import (
	"fmt"
	"unsafe"
)

// maxParts is the largest number of batch partitions. The partition count
// depends only on the batch size, so results do not depend on GOMAXPROCS.
const maxParts = 16

// slack is the number of extra elements after each scratch image, so that
// the vector kernels may load a few elements past the last one they use.
const slack = 16

// layout holds the sizes of one convolution that the per-image kernels
// need; it is not generic, so the float32 vector kernels can take it too.
type layout struct {
	cin, cout, s    int
	h, w            int // input height and width
	oh, ow          int // output height and width
	hp, wp          int // padded input height and width
	padTop, padLeft int
	rowPad          int // elements per padded input row, wp*cin
}

// Conv holds the geometry of one 3x3 SAME convolution and preallocated
// scratch (a zero-padded image per partition and per-partition partial
// kernel and bias gradients), so that steady-state calls allocate nothing
// when GOMAXPROCS is 1. A Conv is not safe for concurrent use.
type Conv[T Float] struct {
	g                   Geom
	l                   layout
	lg                  layout // the gathering BackInput seen as a forward convolution
	oh, ow              int
	hp, wp              int // padded input height and width
	padTop, padLeft     int
	inImg, outImg       int // elements per input and output image
	padImg              int // elements per padded image
	parts               int
	pad                 [][]T // padded image scratch, one per partition
	pdw                 [][]T // partial kernel gradients, one per partition
	pdb                 [][]T // partial bias gradients, one per partition
	zero                []T   // Cout zeros, the bias when Forward gets none
	wt                  []T   // rearranged kernel for the vector BackInput
	y, x, w, b, dy, dx  []T   // arguments of the call in progress
	act                 Act
	fwdFn, bwiFn, bwfFn func(int)
	job                 job
	vec                 vecPlan // which float32 vector kernels apply
}

// NewConv returns a Conv for geometry g, or an error if g is invalid.
func NewConv[T Float](g Geom) (*Conv[T], error) {
	return newConv[T](g, vectorEnabled)
}

// newConv is NewConv with the vector kernels allowed only if useVec is true.
func newConv[T Float](g Geom, useVec bool) (*Conv[T], error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	c := &Conv[T]{
		g:       g,
		oh:      g.OutH(),
		ow:      g.OutW(),
		padTop:  g.PadTop(),
		padLeft: g.PadLeft(),
		parts:   min(g.N, maxParts),
	}
	c.hp = (c.oh-1)*g.Stride + 3
	c.wp = (c.ow-1)*g.Stride + 3
	c.inImg = g.H * g.W * g.Cin
	c.outImg = c.oh * c.ow * g.Cout
	c.padImg = c.hp * c.wp * g.Cin
	c.l = layout{
		cin: g.Cin, cout: g.Cout, s: g.Stride,
		h: g.H, w: g.W, oh: c.oh, ow: c.ow, hp: c.hp, wp: c.wp,
		padTop: c.padTop, padLeft: c.padLeft, rowPad: c.wp * g.Cin,
	}
	if useVec && isF32[T]() {
		c.vec = planVector(&c.l)
	}
	// The gathering BackInput (stride 1, so OH = H and OW = W) is a stride-1
	// forward convolution of dy, padded by one pixel on each side, with one
	// input channel, Cin output channels and the taps in reverse order.
	c.lg = layout{
		cin: 1, cout: g.Cin, s: 1, h: c.oh + 2, w: c.ow + 2, oh: g.H, ow: g.W,
		hp: c.oh + 2, wp: c.ow + 2, rowPad: c.ow + 2,
	}
	padLen := c.padImg
	if c.vec.bwiGather {
		// The gathering BackInput pads dy, not dx.
		padLen = max(padLen, (c.oh+2)*(c.ow+2))
	}
	c.zero = make([]T, g.Cout)
	c.wt = make([]T, g.WLen())
	c.pad = make([][]T, c.parts)
	c.pdw = make([][]T, c.parts)
	c.pdb = make([][]T, c.parts)
	for p := range c.parts {
		c.pad[p] = make([]T, padLen+slack)
		c.pdw[p] = make([]T, g.WLen())
		c.pdb[p] = make([]T, g.Cout)
	}
	c.fwdFn = c.forwardPart
	c.bwiFn = c.backInputPart
	c.bwfFn = c.backFilterPart
	return c, nil
}

// Geom returns the geometry of c.
func (c *Conv[T]) Geom() Geom { return c.g }

// Forward computes y = act(conv(x, w) + b). b may be nil (no bias). y is
// overwritten. It panics if the slice lengths do not match the geometry.
func (c *Conv[T]) Forward(y, x, w, b []T, act Act) {
	g := c.g
	checkLen("y", y, g.OutLen())
	checkLen("x", x, g.InLen())
	checkLen("w", w, g.WLen())
	if b != nil {
		checkLen("b", b, g.Cout)
	}
	c.y, c.x, c.w, c.b, c.act = y, x, w, b, act
	parallel(&c.job, c.parts, c.fwdFn)
	c.clearArgs()
}

// BackInput computes dx = conv^T(dy, w), the exact adjoint of the linear part
// of Forward with respect to x: dy has the output shape and dx the input
// shape. dx is overwritten, not accumulated. It panics if the slice lengths do
// not match the geometry.
func (c *Conv[T]) BackInput(dx, dy, w []T) {
	g := c.g
	checkLen("dx", dx, g.InLen())
	checkLen("dy", dy, g.OutLen())
	checkLen("w", w, g.WLen())
	c.dx, c.dy, c.w, c.b, c.act = dx, dy, w, nil, ActNone
	if c.vec.bwiScatter || c.vec.bwiGather {
		c.prepareBackInputKernel(w)
	}
	parallel(&c.job, c.parts, c.bwiFn)
	c.clearArgs()
}

// BackInputBiasAct computes dx = act(conv^T(dy, w) + b), the forward pass of
// a transposed convolution with fused bias and activation: each image gets
// its bias and activation while it is still in cache, in the same pass as
// the copy out of the scratch image where the kernels allow. b may be nil
// (no bias). It panics if the slice lengths do not match the geometry (b
// has length Cin).
func (c *Conv[T]) BackInputBiasAct(dx, dy, w, b []T, act Act) {
	if b != nil {
		checkLen("b", b, c.g.Cin)
	}
	if act != ActNone && act != ActReLU && act != ActSigmoid {
		panic("kernel: unknown activation " + act.String())
	}
	g := c.g
	checkLen("dx", dx, g.InLen())
	checkLen("dy", dy, g.OutLen())
	checkLen("w", w, g.WLen())
	c.dx, c.dy, c.w, c.b, c.act = dx, dy, w, b, act
	if c.vec.bwiScatter || c.vec.bwiGather {
		c.prepareBackInputKernel(w)
	}
	parallel(&c.job, c.parts, c.bwiFn)
	c.clearArgs()
}

// BackFilter computes dw = d/dw <dy, conv(x, w)> and, if db is not nil, db =
// the sum of dy over N, OH and OW. It overwrites dw and db. The reduction over
// the batch runs over a fixed number of partitions summed in a fixed order, so
// the result does not depend on GOMAXPROCS. It panics if the slice lengths do
// not match the geometry.
func (c *Conv[T]) BackFilter(dw, db, x, dy []T) {
	g := c.g
	checkLen("dw", dw, g.WLen())
	checkLen("x", x, g.InLen())
	checkLen("dy", dy, g.OutLen())
	if db != nil {
		checkLen("db", db, g.Cout)
	}
	c.x, c.dy, c.b = x, dy, db
	parallel(&c.job, c.parts, c.bwfFn)
	copy(dw, c.pdw[0])
	for p := 1; p < c.parts; p++ {
		addTo(dw, c.pdw[p])
	}
	if db != nil {
		copy(db, c.pdb[0])
		for p := 1; p < c.parts; p++ {
			addTo(db, c.pdb[p])
		}
	}
	c.clearArgs()
}

func (c *Conv[T]) clearArgs() {
	c.y, c.x, c.w, c.b, c.dy, c.dx = nil, nil, nil, nil, nil, nil
}

// prepareBackInputKernel rearranges w into c.wt for the vector BackInput
// kernels: for the scattering kernel as (3,3,Cout,Cin), each tap's kernel
// transposed, and for the gathering kernel (Cout == 1, stride 1) with the
// taps in reverse order, so that wt[(kh*3+kw)*Cin+ci] = w[((2-kh)*3+2-kw)*Cin+ci].
func (c *Conv[T]) prepareBackInputKernel(w []T) {
	cin, cout := c.g.Cin, c.g.Cout
	if c.vec.bwiGather {
		for t := range 9 {
			copy(c.wt[t*cin:(t+1)*cin], w[(8-t)*cin:(9-t)*cin])
		}
		return
	}
	for t := range 9 {
		for ci := range cin {
			for co := range cout {
				c.wt[(t*cout+co)*cin+ci] = w[(t*cin+ci)*cout+co]
			}
		}
	}
}

// partRange returns the images [lo, hi) of partition p.
func (c *Conv[T]) partRange(p int) (lo, hi int) {
	return p * c.g.N / c.parts, (p + 1) * c.g.N / c.parts
}

func (c *Conv[T]) forwardPart(p int) {
	lo, hi := c.partRange(p)
	xp := c.pad[p]
	bias := c.b
	if bias == nil {
		bias = c.zero
	}
	for n := lo; n < hi; n++ {
		c.padImage(xp, c.x[n*c.inImg:(n+1)*c.inImg])
		y := c.y[n*c.outImg : (n+1)*c.outImg]
		switch {
		case c.vec.fwd8:
			forwardImageVec8(&c.l, f32(y), f32(xp), f32(c.w), f32(bias))
		case c.vec.fwd1:
			forwardImageVec1(&c.l, f32(y), f32(xp), f32(c.w), float32(bias[0]))
		default:
			c.forwardImage(y, xp, c.w, bias)
		}
		if c.act != ActNone {
			BiasAct(y, nil, c.act)
		}
	}
}

func (c *Conv[T]) backInputPart(p int) {
	lo, hi := c.partRange(p)
	buf := c.pad[p]
	for n := lo; n < hi; n++ {
		dy := c.dy[n*c.outImg : (n+1)*c.outImg]
		dx := c.dx[n*c.inImg : (n+1)*c.inImg]
		if c.vec.bwiGather {
			c.padOutput(buf, dy)
			forwardImageVec8(&c.lg, f32(dx), f32(buf), f32(c.wt), nil)
			if c.b != nil || c.act != ActNone {
				BiasAct(dx, c.b, c.act)
			}
			continue
		}
		clear(buf)
		if c.vec.bwiScatter {
			backInputImageScatter(&c.l, f32(buf), f32(dy), f32(c.wt))
		} else {
			c.backInputImage(buf, dy, c.w)
		}
		c.cropOut(dx, buf)
	}
}

// cropOut copies the centre of the padded image xp into x, adding the bias
// and applying the activation of a BackInputBiasAct. The scalar float32
// ReLU, the case of every transposed convolution in WebAssembly, does it in
// the copy; the others copy, then call BiasAct on the cached image.
func (c *Conv[T]) cropOut(x, xp []T) {
	switch {
	case c.b == nil && c.act == ActNone:
		c.cropImage(x, xp, nil)
	case c.b != nil && c.act == ActReLU && isF32[T]() && !vectorEnabled:
		c.cropImage(x, xp, c.b)
	default:
		c.cropImage(x, xp, nil)
		BiasAct(x, c.b, c.act)
	}
}

func (c *Conv[T]) backFilterPart(p int) {
	lo, hi := c.partRange(p)
	xp, pdw, pdb := c.pad[p], c.pdw[p], c.pdb[p]
	clear(pdw)
	clear(pdb)
	cout := c.g.Cout
	for n := lo; n < hi; n++ {
		c.padImage(xp, c.x[n*c.inImg:(n+1)*c.inImg])
		dy := c.dy[n*c.outImg : (n+1)*c.outImg]
		switch {
		case c.vec.bwf8:
			backFilterImageVec8(&c.l, f32(pdw), f32(xp), f32(dy))
		case c.vec.bwf1:
			backFilterImageVec1(&c.l, f32(pdw), f32(xp), f32(dy))
		default:
			c.backFilterImage(pdw, xp, dy)
		}
		if c.b != nil {
			if cout == 1 {
				var s T
				for _, v := range dy {
					s += v
				}
				pdb[0] += s
			} else {
				sumRowsAdd(pdb, dy)
			}
		}
	}
}

// padImage copies the image x (H,W,Cin) into the centre of xp (hp,wp,Cin)
// and zeroes the border.
func (c *Conv[T]) padImage(xp, x []T) {
	cin := c.g.Cin
	rowIn := c.g.W * cin
	rowPad := c.wp * cin
	left := c.padLeft * cin
	clear(xp[:c.padTop*rowPad])
	for h := 0; h < c.g.H; h++ {
		dst := xp[(c.padTop+h)*rowPad : (c.padTop+h+1)*rowPad]
		clear(dst[:left])
		copy(dst[left:left+rowIn], x[h*rowIn:(h+1)*rowIn])
		clear(dst[left+rowIn:])
	}
	clear(xp[(c.padTop+c.g.H)*rowPad : c.padImg])
}

// padOutput copies the single-channel output-gradient image dy (OH,OW) into
// the centre of buf (OH+2,OW+2) and zeroes the one-pixel border.
func (c *Conv[T]) padOutput(buf, dy []T) {
	row := c.ow + 2
	clear(buf[:row+1])
	for h := 0; h < c.oh; h++ {
		dst := buf[(h+1)*row+1 : (h+2)*row+1]
		copy(dst, dy[h*c.ow:(h+1)*c.ow])
		dst[c.ow], dst[c.ow+1] = 0, 0
	}
	clear(buf[(c.oh+1)*row : (c.oh+2)*row])
}

// cropImage copies the centre of the padded image xp into x. With
// reluBias (float32 only) it stores relu(value + bias) instead, row by row
// (copyBiasReLU32).
func (c *Conv[T]) cropImage(x, xp, reluBias []T) {
	cin := c.g.Cin
	rowIn := c.g.W * cin
	rowPad := c.wp * cin
	left := c.padLeft * cin
	for h := 0; h < c.g.H; h++ {
		src := xp[(c.padTop+h)*rowPad+left:][:rowIn]
		dst := x[h*rowIn : (h+1)*rowIn]
		if reluBias != nil {
			copyBiasReLU32(f32(dst), f32(src), f32(reluBias))
		} else {
			copy(dst, src)
		}
	}
}

// f32 reinterprets s as a []float32. It is called only when T's size is 4
// bytes, which for a Float means T's underlying type is float32.
func f32[T Float](s []T) []float32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&s[0])), len(s))
}

func checkLen[T Float](name string, s []T, want int) {
	if len(s) != want {
		panic(fmt.Sprintf("kernel: len(%s) = %d, want %d", name, len(s), want))
	}
}
