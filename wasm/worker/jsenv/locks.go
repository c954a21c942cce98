//go:build js && wasm

package jsenv

import (
	"context"
	"sync"

	"github.com/hack-pad/safejs"
)

// Locks is a session.Locker on the Web Locks API (navigator.locks),
// whose locks every tab and worker of the origin share.
type Locks struct {
	locks safejs.Value
}

// NewLocks returns the origin's lock manager, or an error wrapping
// ErrUnavailable where the browser has none (an insecure origin, Node).
func NewLocks() (*Locks, error) {
	nav, err := global("navigator")
	if err != nil {
		return nil, err
	}
	l, err := nav.Get("locks")
	if err != nil {
		return nil, err
	}
	if l.IsUndefined() || l.IsNull() {
		return nil, errUnavailable("navigator.locks")
	}
	return &Locks{locks: l}, nil
}

// TryLock implements session.Locker with
// navigator.locks.request(name, {ifAvailable: true}, callback): the
// callback gets null when another holder has the lock; otherwise the
// lock is held until the promise the callback returns resolves, which
// release does.
func (l *Locks) TryLock(ctx context.Context, name string) (release func(), ok bool, err error) {
	type grant struct {
		ok      bool
		resolve safejs.Value
		err     error
	}
	granted := make(chan grant, 1)
	var cb safejs.Func
	cb, err = safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		defer cb.Release()
		lock := arg(args, 0)
		if lock.IsNull() || lock.IsUndefined() {
			granted <- grant{}
			return nil
		}
		// Hold the lock with a promise that resolves on release.
		var resolve safejs.Value
		exec, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
			resolve = arg(args, 0)
			return nil
		})
		if err != nil {
			granted <- grant{err: err}
			return nil
		}
		defer exec.Release()
		promise, err := global("Promise")
		var hold safejs.Value
		if err == nil {
			hold, err = promise.New(exec)
		}
		if err != nil {
			granted <- grant{err: err}
			return nil
		}
		granted <- grant{ok: true, resolve: resolve}
		return hold
	})
	if err != nil {
		return nil, false, err
	}
	p, err := l.locks.Call("request", name, map[string]any{"ifAvailable": true}, cb)
	if err != nil {
		cb.Release()
		return nil, false, err
	}
	// request's own promise settles when the lock is released; before
	// the callback ran, a rejection means the request itself failed.
	failed := make(chan error, 1)
	go func() {
		if _, err := Await(context.Background(), p); err != nil {
			failed <- err
		}
	}()
	select {
	case g := <-granted:
		if g.err != nil || !g.ok {
			return nil, false, g.err
		}
		var once sync.Once
		return func() {
			once.Do(func() { _, _ = g.resolve.Invoke() })
		}, true, nil
	case err := <-failed:
		return nil, false, err
	case <-ctx.Done():
		// Should the lock come later, give it back at once.
		go func() {
			if g := <-granted; g.ok {
				_, _ = g.resolve.Invoke()
			}
		}()
		return nil, false, ctx.Err()
	}
}
