package sampleapp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// uploadsApp is the app's handler with uploads in dir ("" for none).
func uploadsApp(t *testing.T, dir string) http.Handler {
	t.Helper()
	cfg := testConfig()
	cfg.UploadsDir = dir
	return newApp(cfg, &fakeStore{}).routes()
}

func send(t *testing.T, h http.Handler, method, path string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), method, path, r))
	return rec
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func decodeInfo(t *testing.T, rec *httptest.ResponseRecorder) uploadInfo {
	t.Helper()
	var info uploadInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
		t.Fatalf("body %q is not an upload's info: %v", rec.Body.String(), err)
	}
	return info
}

func TestPutUploadStoresTheFileAndAnswers201(t *testing.T) {
	dir := t.TempDir()
	h := uploadsApp(t, dir)
	body := []byte("hello, uploads")
	rec := send(t, h, http.MethodPut, "/uploads/run-1-upload-00000001", body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("PUT: status %d, body %s; want 201", rec.Code, rec.Body)
	}
	want := uploadInfo{ID: "run-1-upload-00000001", Size: int64(len(body)), SHA256: hexSum(body)}
	if got := decodeInfo(t, rec); got != want {
		t.Errorf("PUT answered %+v, want %+v", got, want)
	}
	got, err := os.ReadFile(filepath.Join(dir, "run-1-upload-00000001"))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("stored file = %q, %v; want %q", got, err, body)
	}
	// The temporary file is gone: the directory holds the upload only.
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("directory holds %v (%v), want the upload alone", entries, err)
	}
}

func TestPutUploadAgain(t *testing.T) {
	dir := t.TempDir()
	h := uploadsApp(t, dir)
	if rec := send(t, h, http.MethodPut, "/uploads/u1", []byte("one")); rec.Code != http.StatusCreated {
		t.Fatalf("first PUT: status %d", rec.Code)
	}
	rec := send(t, h, http.MethodPut, "/uploads/u1", []byte("one"))
	if rec.Code != http.StatusOK {
		t.Errorf("same content again: status %d, body %s; want 200", rec.Code, rec.Body)
	}
	if got := decodeInfo(t, rec); got.SHA256 != hexSum([]byte("one")) {
		t.Errorf("same content again answered %+v", got)
	}
	rec = send(t, h, http.MethodPut, "/uploads/u1", []byte("two"))
	if rec.Code != http.StatusConflict {
		t.Errorf("other content: status %d, body %s; want 409", rec.Code, rec.Body)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "u1")); string(got) != "one" {
		t.Errorf("after the conflict the file holds %q, want the first content", got)
	}
}

// Concurrent PUTs of one id with different content: exactly one is
// stored, the others are told so (409) and the file holds the winner's
// content whole.
func TestPutUploadConcurrentSameIDNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	h := uploadsApp(t, dir)
	const n = 16
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			codes[i] = send(t, h, http.MethodPut, "/uploads/race", bytes.Repeat([]byte{byte('a' + i)}, 4096)).Code
		})
	}
	wg.Wait()
	created, conflicts := 0, 0
	winner := -1
	for i, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
			winner = i
		case http.StatusConflict:
			conflicts++
		default:
			t.Errorf("PUT %d: status %d", i, c)
		}
	}
	if created != 1 || conflicts != n-1 {
		t.Fatalf("%d created and %d conflicts, want 1 and %d", created, conflicts, n-1)
	}
	got, err := os.ReadFile(filepath.Join(dir, "race"))
	if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{byte('a' + winner)}, 4096)) {
		t.Errorf("the file does not hold the 201's content whole (%d bytes, %v)", len(got), err)
	}
}

func TestPutUploadRefusals(t *testing.T) {
	dir := t.TempDir()
	h := uploadsApp(t, dir)
	for _, c := range []struct {
		path string
		body []byte
		want int
	}{
		{"/uploads/a%2Fb", []byte("x"), http.StatusBadRequest},
		{"/uploads/a~b", []byte("x"), http.StatusBadRequest},
		{"/uploads/" + strings.Repeat("x", 129), []byte("x"), http.StatusBadRequest},
		{"/uploads/big", make([]byte, MaxUploadBytes+1), http.StatusRequestEntityTooLarge},
	} {
		rec := send(t, h, http.MethodPut, c.path, c.body)
		if rec.Code != c.want {
			t.Errorf("PUT %.40s: status %d, body %s; want %d", c.path, rec.Code, rec.Body, c.want)
		}
	}
	// The mux cleans "." and ".." out of a path before the handler sees
	// it; the handler refuses them anyway, as names that are no file's.
	for _, id := range []string{".", ".."} {
		if uploadID(id) {
			t.Errorf("uploadID(%q) = true: it names no file of its own", id)
		}
	}
	if rec := send(t, h, http.MethodPut, "/uploads/max", make([]byte, MaxUploadBytes)); rec.Code != http.StatusCreated {
		t.Errorf("PUT of exactly MaxUploadBytes: status %d, want 201", rec.Code)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the refusals left files behind: %v", entries)
	}
}

// A directory the app cannot write to: nothing was stored, so the upload
// failed (503 with outcome failed), never indeterminate.
func TestPutUploadUnwritableDirectoryFails(t *testing.T) {
	h := uploadsApp(t, filepath.Join(t.TempDir(), "gone"))
	rec := send(t, h, http.MethodPut, "/uploads/u1", []byte("x"))
	var reply writeErr
	if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil || rec.Code != http.StatusServiceUnavailable || reply.Outcome != "failed" {
		t.Errorf("status %d, body %s; want 503 with outcome failed", rec.Code, rec.Body)
	}
}

func TestGetUpload(t *testing.T) {
	dir := t.TempDir()
	h := uploadsApp(t, dir)
	body := []byte("content\x00with\xffbytes")
	send(t, h, http.MethodPut, "/uploads/u1", body)
	rec := send(t, h, http.MethodGet, "/uploads/u1", nil)
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), body) {
		t.Errorf("GET: status %d, body %q; want 200 %q", rec.Code, rec.Body, body)
	}
	if rec := send(t, h, http.MethodGet, "/uploads/u2", nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET of an absent upload: status %d, want 404", rec.Code)
	}
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if rec := send(t, h, http.MethodGet, "/uploads/adir", nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET of a directory: status %d, want 404", rec.Code)
	}
}

func listUploads(t *testing.T, h http.Handler) []uploadInfo {
	t.Helper()
	rec := send(t, h, http.MethodGet, "/uploads", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /uploads: status %d, body %s", rec.Code, rec.Body)
	}
	var list []uploadInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		t.Fatalf("GET /uploads: body %q: %v", rec.Body, err)
	}
	return list
}

func TestListUploadsSortedAndOnlyUploads(t *testing.T) {
	dir := t.TempDir()
	h := uploadsApp(t, dir)
	if got := listUploads(t, h); got == nil || len(got) != 0 {
		t.Errorf("empty directory listed %#v, want []", got)
	}
	var want []uploadInfo
	for i := 600; i > 0; i-- { // more than listFlushEvery, sent in reverse
		id := fmt.Sprintf("run-upload-%08d", i)
		body := []byte(strings.Repeat(id, i%5+1))
		if rec := send(t, h, http.MethodPut, "/uploads/"+id, body); rec.Code != http.StatusCreated {
			t.Fatalf("PUT %s: %d", id, rec.Code)
		}
		want = append([]uploadInfo{{ID: id, Size: int64(len(body)), SHA256: hexSum(body)}}, want...)
	}
	// What is not an upload: a temporary file, a directory, a name that is
	// not an id.
	for _, name := range []string{".x" + tempMark + "1", "lost+found"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("no"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := listUploads(t, h)
	if len(got) != len(want) {
		t.Fatalf("listed %d uploads, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// The directory replaced under the app (a restore, a fresh volume): the
// listing and the reads see the new one, nothing cached.
func TestUploadsDirectoryReplacedUnderTheApp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uploads")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := uploadsApp(t, dir)
	send(t, h, http.MethodPut, "/uploads/old", []byte("old"))
	if got := listUploads(t, h); len(got) != 1 {
		t.Fatalf("listed %v, want the one upload", got)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "restored"), []byte("back"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := listUploads(t, h)
	if len(got) != 1 || got[0].ID != "restored" || got[0].SHA256 != hexSum([]byte("back")) {
		t.Errorf("after the replacement listed %+v, want the restored upload only", got)
	}
	if rec := send(t, h, http.MethodGet, "/uploads/old", nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET of an upload gone with the old directory: %d, want 404", rec.Code)
	}
}

func TestListUploadsMissingDirectoryIs503(t *testing.T) {
	h := uploadsApp(t, filepath.Join(t.TempDir(), "gone"))
	if rec := send(t, h, http.MethodGet, "/uploads", nil); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503: a listing that could not be made is not an empty one", rec.Code)
	}
}

// Without FIREDRILL_APP_UPLOADS the upload routes answer 503 and say why;
// the rest of the app is unaffected.
func TestUploadsOffWithoutDirectory(t *testing.T) {
	h := uploadsApp(t, "")
	for _, c := range []struct{ method, path string }{
		{http.MethodPut, "/uploads/u1"}, {http.MethodGet, "/uploads/u1"}, {http.MethodGet, "/uploads"},
	} {
		rec := send(t, h, c.method, c.path, []byte("x"))
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), EnvUploads) {
			t.Errorf("%s %s: status %d, body %s; want 503 naming %s", c.method, c.path, rec.Code, rec.Body, EnvUploads)
		}
	}
	if rec := send(t, h, http.MethodGet, "/livez", nil); rec.Code != http.StatusOK {
		t.Errorf("/livez: %d", rec.Code)
	}
}

func TestConfigFromEnvReadsUploads(t *testing.T) {
	t.Setenv(EnvWriteDSN, "postgres://u:p@h/db")
	t.Setenv(EnvUploads, "/uploads")
	cfg, err := ConfigFromEnv()
	if err != nil || cfg.UploadsDir != "/uploads" {
		t.Errorf("UploadsDir = %q, %v; want /uploads", cfg.UploadsDir, err)
	}
}
