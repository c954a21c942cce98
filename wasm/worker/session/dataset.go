package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"warmstart/nn"
	"warmstart/nn/data"
	"warmstart/wasm/protocol"
)

// decodedPart is a checked dataset file and where it came from.
type decodedPart struct {
	url    string
	images *data.Images
	labels []uint8
}

// dataset returns the parts of the dataset the run needs: from memory
// when an earlier run of this worker checked them, else from the data
// store, else downloaded. Every file is checked with data.DecodeFile, as
// the native reader checks it, and only a file that passed is stored.
// Store failures do not stop the run; they are noted in storageNotes.
func (s *Session) dataset(ctx context.Context, m *protocol.Start, storageNotes *[]string) (*data.Dataset, error) {
	need := nn.NeededParts(&m.Config)
	var parts [4]decodedPart
	for i, f := range data.PublishedFiles() {
		if need&f.Part == 0 {
			continue
		}
		dp, err := s.file(ctx, m.Run, fileURL(m.DataURL, f.Name), f, storageNotes)
		if err != nil {
			return nil, err
		}
		parts[i] = dp
	}
	ds, err := data.NewDataset(parts[0].images, parts[1].labels, parts[2].images, parts[3].labels)
	if err != nil {
		return nil, &dataError{err}
	}
	return ds, nil
}

// fileURL joins the data folder and a file name.
func fileURL(dir, name string) string {
	if !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	return dir + name
}

// file gets one dataset file.
func (s *Session) file(ctx context.Context, run int64, url string, f data.FileInfo, storageNotes *[]string) (decodedPart, error) {
	say := func(stage protocol.DataStage, n, total int64) {
		s.post(&protocol.Data{Run: run, File: f.Name, Stage: stage, Bytes: n, Total: total})
	}
	s.mu.Lock()
	dp, ok := s.ds[f.Part]
	s.mu.Unlock()
	if ok && dp.url == url {
		say(protocol.DataCached, 0, 0)
		say(protocol.DataReady, 0, 0)
		return dp, nil
	}

	r, n, ok, err := s.stored(ctx, url)
	switch {
	case err != nil:
		*storageNotes = append(*storageNotes, fmt.Sprintf("the stored copy of %s could not be read (%v), so it was downloaded again", f.Name, err))
	case ok:
		say(protocol.DataCached, n, n)
		say(protocol.DataCheck, n, n)
		if dp, err := decodeFrom(url, r); err == nil {
			s.keep(f.Part, dp)
			say(protocol.DataReady, n, n)
			return dp, nil
		}
		// A damaged copy (storage corruption, or a file that changed on
		// the server): forget it and download the file again.
		_ = s.env.Data.Delete(ctx, url)
	}

	say(protocol.DataDownload, 0, 0)
	var last time.Time
	progress := func(n, total int64) {
		if now := s.env.Now(); now.Sub(last) >= DataEvery {
			last = now
			say(protocol.DataDownload, n, total)
		}
	}
	resp, err := s.env.Fetch.Fetch(ctx, url, progress)
	if err != nil {
		if ctx.Err() != nil {
			return decodedPart{}, ctx.Err()
		}
		return decodedPart{}, &dataError{fmt.Errorf("data: %s: download failed: %w", url, err)}
	}
	if resp.Status != 200 {
		return decodedPart{}, &dataError{httpError(url, resp)}
	}
	n = int64(len(resp.Body))
	say(protocol.DataDownload, n, n)
	say(protocol.DataCheck, n, n)
	dp, err = decodePart(url, resp.Body)
	if err != nil {
		return decodedPart{}, &dataError{fmt.Errorf("%w (the server answered HTTP %d)", err, resp.Status)}
	}
	if err := s.env.Data.Put(context.WithoutCancel(ctx), url, resp.Body); err != nil {
		*storageNotes = append(*storageNotes, fmt.Sprintf("%s could not be kept for offline use: %v", f.Name, err))
	}
	s.keep(f.Part, dp)
	say(protocol.DataReady, n, n)
	return dp, nil
}

// stored opens the stored copy of a dataset file: as a stream when the
// store can give one, else from its bytes.
func (s *Session) stored(ctx context.Context, url string) (io.Reader, int64, bool, error) {
	if ss, ok := s.env.Data.(StreamStore); ok {
		return ss.Open(ctx, url)
	}
	b, ok, err := s.env.Data.Get(ctx, url)
	return bytes.NewReader(b), int64(len(b)), ok, err
}

func (s *Session) keep(p data.Part, dp decodedPart) {
	s.mu.Lock()
	s.ds[p] = dp
	s.mu.Unlock()
}

// decodePart checks b as the published file that url names, exactly as the native
// reader checks a file on disk: gzip or raw IDX, kind, count, size and
// the SHA-256 of the content.
func decodePart(url string, b []byte) (decodedPart, error) {
	return decodeFrom(url, bytes.NewReader(b))
}

// decodeFrom is decodePart on the file's content read from r.
func decodeFrom(url string, r io.Reader) (decodedPart, error) {
	im, labels, err := data.DecodeFile(url, r)
	if err != nil {
		return decodedPart{}, err
	}
	return decodedPart{url: url, images: im, labels: labels}, nil
}

// httpError describes a response other than 200, with what its body is
// when it says something (an HTML error page, an SPA's index.html).
func httpError(url string, r *Response) error {
	status := fmt.Sprintf("HTTP %d", r.Status)
	if r.StatusText != "" {
		status += " " + r.StatusText
	}
	msg := fmt.Sprintf("data: %s: the server answered %s", url, status)
	if len(r.Body) > 0 {
		_, _, err := data.DecodeFile(url, bytes.NewReader(r.Body))
		var fe *data.FormatError
		if errors.As(err, &fe) && errors.Is(err, data.ErrHTML) {
			msg += ", with an HTML page (" + fe.Detail + ")"
		}
	}
	return errors.New(msg + ", not the dataset file")
}
