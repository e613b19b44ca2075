package sampleapp

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/firedrill/firedrill"
)

// MaxUploadBytes caps the body of one upload: the probe's are a few KB,
// and a client must not fill the volume with one request.
const MaxUploadBytes = 1 << 20

// uploads is the app's file store: one file per upload, named by its id,
// in the uploads directory (FIREDRILL_APP_UPLOADS), which the DR engine's
// files backups save as a tar.gz and its restore extracts into
// (docs/measurement.md, "Uploads"). The directory may be replaced under
// the app at any moment (a restore, a fresh volume after a rebuild), so
// nothing about it is cached: every request looks at it afresh.
type uploads struct {
	dir string // "" when the app was started without one
	log *slog.Logger
}

// uploadInfo is what the app says of a stored upload.
type uploadInfo struct {
	ID     string `json:"id"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// tempMark is in the name of every temporary file: it is not a character
// of an id (idPattern), so no temporary file is ever taken for an upload
// nor collides with one.
const tempMark = "~"

func (u uploads) register(mux *http.ServeMux) {
	mux.HandleFunc("PUT /uploads/{id}", u.handlePut)
	mux.HandleFunc("GET /uploads/{id}", u.handleGet)
	mux.HandleFunc("GET /uploads", u.handleList)
}

// uploadID is a record id (validID) that can also be a file name.
func uploadID(id string) bool { return validID(id) && id != "." && id != ".." }

// off answers 503 when the app has no uploads directory, and says so.
func (u uploads) off(w http.ResponseWriter) bool {
	if u.dir != "" {
		return false
	}
	writeJSON(w, http.StatusServiceUnavailable, writeErr{Outcome: firedrill.OutcomeFailed,
		Error: "uploads are off: the app was started without " + EnvUploads})
	return true
}

// requestID is the request's upload id; when uploads are off or the id
// is not one, it answers (503, 400) and ok is false.
func (u uploads) requestID(w http.ResponseWriter, r *http.Request) (id string, ok bool) {
	if u.off(w) {
		return "", false
	}
	id = r.PathValue("id")
	if !uploadID(id) {
		writeJSON(w, http.StatusBadRequest, writeErr{Outcome: firedrill.OutcomeFailed, Error: "invalid upload id: want " + idPattern.String() + ", not . or .."})
		return "", false
	}
	return id, true
}

// handlePut stores the body as the upload id and answers 201 with its
// size and sha256 once the file and its directory entry are on disk; 200
// when the same content is already stored under id (a client may send
// the same upload twice); 409 when other content is; 413 over
// MaxUploadBytes. A failure answers 503 with the outcome, as a write does
// (classify.go): failed when nothing can have been stored, indeterminate
// once the file may be in place.
func (u uploads) handlePut(w http.ResponseWriter, r *http.Request) {
	id, ok := u.requestID(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxUploadBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeJSON(w, http.StatusRequestEntityTooLarge, writeErr{Outcome: firedrill.OutcomeFailed,
				Error: fmt.Sprintf("upload over %d bytes", MaxUploadBytes)})
			return
		}
		writeJSON(w, http.StatusBadRequest, writeErr{Outcome: firedrill.OutcomeFailed, Error: "read body: " + err.Error()})
		return
	}
	sum := sha256.Sum256(body)
	info := uploadInfo{ID: id, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}
	created, err := u.store(id, body, info.SHA256)
	switch {
	case errors.Is(err, errOtherContent):
		writeJSON(w, http.StatusConflict, errorBody{ID: id, Error: err.Error()})
	case err != nil:
		outcome := firedrill.OutcomeFailed
		var maybe *storedMaybe
		if errors.As(err, &maybe) {
			outcome = firedrill.OutcomeIndeterminate
		}
		u.log.Warn("upload failed", "id", id, "outcome", outcome, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, writeErr{Outcome: outcome, Error: err.Error()})
	case created:
		writeJSON(w, http.StatusCreated, info)
	default:
		writeJSON(w, http.StatusOK, info)
	}
}

// errOtherContent: the id is stored with other content.
var errOtherContent = errors.New("another upload with this id is stored, with other content")

// storedMaybe wraps a failure after the file was linked into place: the
// upload may be stored (indeterminate), though not confirmed durable.
type storedMaybe struct{ err error }

func (e *storedMaybe) Error() string { return e.err.Error() }
func (e *storedMaybe) Unwrap() error { return e.err }

// store writes body as the upload id, durably: a temporary file in the
// same directory, fsynced, then linked to its name and the directory
// fsynced, so the file is whole or absent after a crash, and it returns
// only once both are on disk. A link, not a rename: a rename would
// silently replace an upload stored meanwhile by a concurrent request
// with other content; a link fails when the name exists, and the stored
// content is then compared. created is false when the same content was
// already there (made durable again before answering: it may be another
// request's, not yet fsynced).
func (u uploads) store(id string, body []byte, sum string) (created bool, err error) {
	final := filepath.Join(u.dir, id)
	if same, err := sameContent(final, sum); err == nil {
		return false, u.settled(same)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("look for upload %s: %w", id, err)
	}
	tmp, err := u.writeTemp(id, body)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp) // the link holds the content; the temporary name goes
	if err := os.Link(tmp, final); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return false, fmt.Errorf("link upload %s into place: %w", id, err)
		}
		same, err := sameContent(final, sum)
		if err != nil {
			return false, fmt.Errorf("compare with the stored upload %s: %w", id, err)
		}
		return false, u.settled(same)
	}
	if err := syncDir(u.dir); err != nil {
		return false, &storedMaybe{fmt.Errorf("upload %s linked, but its directory was not synced: %w", id, err)}
	}
	return true, nil
}

// settled is the answer for an id already stored: errOtherContent, or
// nil once the directory entry is surely on disk.
func (u uploads) settled(same bool) error {
	if !same {
		return errOtherContent
	}
	if err := syncDir(u.dir); err != nil {
		return &storedMaybe{fmt.Errorf("upload stored, but its directory was not synced: %w", err)}
	}
	return nil
}

// writeTemp writes body to a new temporary file in the uploads directory
// and fsyncs it; on error nothing is left behind.
func (u uploads) writeTemp(id string, body []byte) (path string, err error) {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	path = filepath.Join(u.dir, "."+id+tempMark+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("create a temporary file for upload %s: %w", id, err)
	}
	_, werr := f.Write(body)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return "", fmt.Errorf("write upload %s: %w", id, werr)
	}
	return path, nil
}

// sameContent reports whether the file at path has the sha256 sum; the
// error is fs.ErrNotExist's when there is no such file.
func sameContent(path, sum string) (bool, error) {
	got, _, err := fileSHA256(path)
	if err != nil {
		return false, err
	}
	return got == sum, nil
}

// fileSHA256 is the hex sha256 and the size of the file at path.
func fileSHA256(path string) (sum string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	size, err = io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// syncDir fsyncs a directory, making the entries made in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// handleGet returns the content of upload id; 404 when it is not stored.
func (u uploads) handleGet(w http.ResponseWriter, r *http.Request) {
	id, ok := u.requestID(w, r)
	if !ok {
		return
	}
	f, err := os.Open(filepath.Join(u.dir, id))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		writeJSON(w, http.StatusNotFound, errorBody{ID: id, Error: "no such upload"})
		return
	case err != nil:
		writeJSON(w, http.StatusServiceUnavailable, errorBody{ID: id, Error: "open upload: " + err.Error()})
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		writeJSON(w, http.StatusNotFound, errorBody{ID: id, Error: "no such upload"})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	h["Cache-Control"] = noStore
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, f)
}

// listFlushEvery is how many entries of the listing go out between two
// flushes: the client sees it progress, and the app holds little.
const listFlushEvery = 256

// handleList streams every stored upload as a JSON array of {id, size,
// sha256}, ordered by id, for the read-back after a drill. The directory
// is read at the request, never cached (a restore may have replaced it).
// Entries that are not uploads (temporary files, directories such as
// lost+found, names that are not ids) are left out, and so is a file gone
// between the listing and its read. A failure once the answer has begun
// aborts it, so the client gets an error, never a shorter list.
func (u uploads) handleList(w http.ResponseWriter, r *http.Request) {
	if u.off(w) {
		return
	}
	entries, err := os.ReadDir(u.dir) // ordered by name, which is the id
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "list uploads: " + err.Error()})
		return
	}
	setJSONHeaders(w)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(bw)
	n := 0
	_, _ = bw.WriteString("[")
	for _, e := range entries {
		if !e.Type().IsRegular() || !uploadID(e.Name()) {
			continue
		}
		sum, size, err := fileSHA256(filepath.Join(u.dir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil || r.Context().Err() != nil {
			u.log.Warn("upload listing aborted", "after", n, "err", err)
			panic(http.ErrAbortHandler)
		}
		if n > 0 {
			_, _ = bw.WriteString(",")
		}
		if err := enc.Encode(uploadInfo{ID: e.Name(), Size: size, SHA256: sum}); err != nil {
			panic(http.ErrAbortHandler)
		}
		if n++; n%listFlushEvery == 0 {
			if bw.Flush() != nil {
				panic(http.ErrAbortHandler)
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
	_, _ = bw.WriteString("]\n")
	_ = bw.Flush()
}

// describe is what the start line says of uploads: where they go, or
// that they are off.
func (u uploads) describe() []any {
	if u.dir == "" {
		return []any{"uploads", "off"}
	}
	return []any{"uploads", u.dir}
}
