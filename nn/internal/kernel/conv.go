package kernel

import (
	"fmt"
	"runtime"
	"sync"
)

// maxParts is the largest number of batch partitions. The partition count
// depends only on the batch size, so results do not depend on GOMAXPROCS.
const maxParts = 16

// Conv holds the geometry of one 3x3 SAME convolution and preallocated
// scratch (a zero-padded image per partition and per-partition partial
// kernel and bias gradients), so that steady-state calls allocate nothing
// when GOMAXPROCS is 1. A Conv is not safe for concurrent use.
type Conv[T Float] struct {
	g                   Geom
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
	y, x, w, b, dy, dx  []T   // arguments of the call in progress
	act                 Act
	fwdFn, bwiFn, bwfFn func(int)
}

// NewConv returns a Conv for geometry g, or an error if g is invalid.
func NewConv[T Float](g Geom) (*Conv[T], error) {
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
	c.zero = make([]T, g.Cout)
	c.pad = make([][]T, c.parts)
	c.pdw = make([][]T, c.parts)
	c.pdb = make([][]T, c.parts)
	for p := range c.parts {
		c.pad[p] = make([]T, c.padImg)
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
	parallel(c.parts, c.fwdFn)
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
	c.dx, c.dy, c.w = dx, dy, w
	parallel(c.parts, c.bwiFn)
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
	parallel(c.parts, c.bwfFn)
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
		c.forwardImage(y, xp, c.w, bias)
		if c.act != ActNone {
			BiasAct(y, nil, c.act)
		}
	}
}

func (c *Conv[T]) backInputPart(p int) {
	lo, hi := c.partRange(p)
	dxp := c.pad[p]
	for n := lo; n < hi; n++ {
		clear(dxp)
		c.backInputImage(dxp, c.dy[n*c.outImg:(n+1)*c.outImg], c.w)
		c.cropImage(c.dx[n*c.inImg:(n+1)*c.inImg], dxp)
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
		c.backFilterImage(pdw, xp, dy)
		if c.b != nil {
			for i := 0; i+cout <= len(dy); i += cout {
				addTo(pdb, dy[i:i+cout])
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
	clear(xp[(c.padTop+c.g.H)*rowPad:])
}

// cropImage copies the centre of the padded image xp into x.
func (c *Conv[T]) cropImage(x, xp []T) {
	cin := c.g.Cin
	rowIn := c.g.W * cin
	rowPad := c.wp * cin
	left := c.padLeft * cin
	for h := 0; h < c.g.H; h++ {
		src := xp[(c.padTop+h)*rowPad+left:]
		copy(x[h*rowIn:(h+1)*rowIn], src[:rowIn])
	}
}

// addTo adds src to dst elementwise.
func addTo[T Float](dst, src []T) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

func checkLen[T Float](name string, s []T, want int) {
	if len(s) != want {
		panic(fmt.Sprintf("kernel: len(%s) = %d, want %d", name, len(s), want))
	}
}

// parallel runs f(0), ..., f(parts-1), spreading them over at most GOMAXPROCS
// goroutines. It runs them inline when GOMAXPROCS is 1. Callers make every
// f(p) independent of the others, so the schedule cannot change results.
func parallel(parts int, f func(int)) {
	procs := min(runtime.GOMAXPROCS(0), parts)
	if procs <= 1 {
		for p := range parts {
			f(p)
		}
		return
	}
	var wg sync.WaitGroup
	wg.Add(procs)
	for g := range procs {
		go func() {
			defer wg.Done()
			for p := g; p < parts; p += procs {
				f(p)
			}
		}()
	}
	wg.Wait()
}
