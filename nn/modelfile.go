package nn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
)

// The model file format, version 1. All integers and floats are
// little-endian.
//
//	magic    16 bytes  "WARMSTART-MODEL\n"
//	version  uint32    1
//	hdrLen   uint32    length of the JSON header, at most 1 MiB
//	header   hdrLen    JSON: {"arch": "cnn"|"dae", "params": [{"name", "shape"}...], "meta": {...}}
//	data               float32 values of every parameter, in header order
//	crc      uint32    CRC-32 (IEEE) of every byte before it
//
// A file is accepted only if its architecture is known and its parameter
// names and shapes match [ParamSpecs] exactly, in order.
const (
	modelMagic     = "WARMSTART-MODEL\n"
	ModelVersion   = 1
	maxModelHeader = 1 << 20
)

// ErrModelFile is wrapped by every error about a malformed or mismatched
// model file.
var ErrModelFile = errors.New("nn: bad model file")

type modelHeader struct {
	Arch   Arch              `json:"arch"`
	Params []paramHeader     `json:"params"`
	Meta   map[string]string `json:"meta,omitempty"`
}

type paramHeader struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// WriteModel writes m to w in the model file format; meta is free-form
// provenance stored in the header.
func WriteModel(w io.Writer, m *Model, meta map[string]string) error {
	if err := m.check(); err != nil {
		return err
	}
	return writeModel(w, m, meta)
}

// writeModel writes m without checking it against its architecture.
func writeModel(w io.Writer, m *Model, meta map[string]string) error {
	h := modelHeader{Arch: m.Arch, Meta: meta}
	for _, p := range m.Params {
		h.Params = append(h.Params, paramHeader{Name: p.Name, Shape: p.Shape})
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	crc := crc32.NewIEEE()
	bw := bufio.NewWriter(io.MultiWriter(w, crc))
	bw.WriteString(modelMagic)
	binary.Write(bw, binary.LittleEndian, uint32(ModelVersion))
	binary.Write(bw, binary.LittleEndian, uint32(len(hdr)))
	bw.Write(hdr)
	var b [4]byte
	for _, p := range m.Params {
		for _, v := range p.Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			bw.Write(b[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	binary.LittleEndian.PutUint32(b[:], crc.Sum32())
	if _, err := w.Write(b[:]); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}

// ReadModel reads a model file written by [WriteModel]. It returns an
// error wrapping [ErrModelFile] that says what is wrong when the file is
// truncated, corrupt, of another version, or does not match its
// architecture; want, if not empty, is the architecture the caller needs.
func ReadModel(r io.Reader, want Arch) (*Model, map[string]string, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrModelFile, fmt.Sprintf(format, args...))
	}
	crc := crc32.NewIEEE()
	br := bufio.NewReader(r)
	tr := io.TeeReader(br, crc)

	var fixed [len(modelMagic) + 8]byte
	if _, err := io.ReadFull(tr, fixed[:]); err != nil {
		return nil, nil, bad("truncated header (%v)", err)
	}
	if string(fixed[:len(modelMagic)]) != modelMagic {
		return nil, nil, bad("not a warmstart model (magic %q)", fixed[:len(modelMagic)])
	}
	version := binary.LittleEndian.Uint32(fixed[len(modelMagic):])
	if version != ModelVersion {
		return nil, nil, bad("format version %d, this build reads version %d", version, ModelVersion)
	}
	n := binary.LittleEndian.Uint32(fixed[len(modelMagic)+4:])
	if n > maxModelHeader {
		return nil, nil, bad("header of %d bytes exceeds the %d-byte limit", n, maxModelHeader)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(tr, hdr); err != nil {
		return nil, nil, bad("truncated header (%v)", err)
	}
	var h modelHeader
	if err := json.Unmarshal(hdr, &h); err != nil {
		return nil, nil, bad("header: %v", err)
	}
	if want != "" && h.Arch != want {
		return nil, nil, bad("architecture %q, want %q", h.Arch, want)
	}
	specs, err := ParamSpecs(h.Arch)
	if err != nil {
		return nil, nil, bad("%v", err)
	}
	if len(h.Params) != len(specs) {
		return nil, nil, bad("%d parameter tensors, architecture %q has %d", len(h.Params), h.Arch, len(specs))
	}
	m := &Model{Arch: h.Arch}
	for i, s := range specs {
		ph := h.Params[i]
		if ph.Name != s.Name || !slices.Equal(ph.Shape, s.Shape) {
			return nil, nil, bad("parameter %d is %s%v, architecture %q wants %s%v",
				i, ph.Name, ph.Shape, h.Arch, s.Name, s.Shape)
		}
		m.Params = append(m.Params, &Param{Name: s.Name, Shape: slices.Clone(s.Shape)})
	}

	var b [4]byte
	for _, p := range m.Params {
		buf := make([]byte, 4*p.Len())
		if _, err := io.ReadFull(tr, buf); err != nil {
			return nil, nil, bad("truncated data of %s (%v)", p.Name, err)
		}
		p.Data = make([]float32, p.Len())
		for j := range p.Data {
			v := math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, nil, bad("%s[%d] is %v", p.Name, j, v)
			}
			p.Data[j] = v
		}
	}
	sum := crc.Sum32()
	if _, err := io.ReadFull(br, b[:]); err != nil {
		return nil, nil, bad("truncated checksum (%v)", err)
	}
	if got := binary.LittleEndian.Uint32(b[:]); got != sum {
		return nil, nil, bad("checksum %08x, content hashes to %08x (file corrupt)", got, sum)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, nil, bad("trailing bytes after the checksum")
	}
	return m, h.Meta, nil
}

// check verifies that m has its architecture's parameter names and shapes.
func (m *Model) check() error {
	specs, err := ParamSpecs(m.Arch)
	if err != nil {
		return err
	}
	if len(m.Params) != len(specs) {
		return fmt.Errorf("%w: %d parameter tensors, architecture %q has %d",
			ErrModelFile, len(m.Params), m.Arch, len(specs))
	}
	for i, s := range specs {
		p := m.Params[i]
		if p.Name != s.Name || !slices.Equal(p.Shape, s.Shape) || len(p.Data) != p.Len() {
			return fmt.Errorf("%w: parameter %d is %s%v with %d values, want %s%v",
				ErrModelFile, i, p.Name, p.Shape, len(p.Data), s.Name, s.Shape)
		}
	}
	return nil
}

// MarshalModel returns m in the model file format.
func MarshalModel(m *Model, meta map[string]string) ([]byte, error) {
	var b bytes.Buffer
	err := WriteModel(&b, m, meta)
	return b.Bytes(), err
}
