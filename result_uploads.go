package firedrill

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// OpKindUpload is the Kind of the upload workload's ops: file uploads to
// the sample app, which the write-based rules leave out and the uploads'
// read-back scores (docs/measurement.md, "Uploads").
const OpKindUpload = "upload"

// Bounds of an upload's size: a few hundred bytes to a few KB, enough to
// be a file of its own in a files backup, small enough for 100 a second.
const (
	MinUploadBytes = 256
	MaxUploadBytes = 4096
)

// UploadContent is the body of upload id: derived from the id alone, so
// that the read-back checks an upload's content by its sha256 without the
// harness keeping what it sent. Its size is between MinUploadBytes and
// MaxUploadBytes, drawn from the id's hash; its bytes are the hashes of
// the id with a counter, end to end.
func UploadContent(id string) []byte {
	seed := sha256.Sum256([]byte(id))
	size := MinUploadBytes + int(binary.BigEndian.Uint16(seed[:2]))%(MaxUploadBytes-MinUploadBytes+1)
	out := make([]byte, 0, size+sha256.Size)
	block := make([]byte, 0, len(id)+8)
	for n := uint64(0); len(out) < size; n++ {
		block = binary.BigEndian.AppendUint64(append(block[:0], id...), n)
		sum := sha256.Sum256(block)
		out = append(out, sum[:]...)
	}
	return out[:size]
}

// UploadSHA256 is the hex sha256 of UploadContent(id): what the app must
// list for the upload at read-back.
func UploadSHA256(id string) string {
	sum := sha256.Sum256(UploadContent(id))
	return hex.EncodeToString(sum[:])
}

// UploadsResult is what the upload workload saw and what its read-back
// found, scored by the rules of docs/measurement.md, "Uploads". Result.Uploads
// is nil (absent from result.json) when no uploads ran.
type UploadsResult struct {
	// RatePerS is workload.uploads_per_second.
	RatePerS float64 `json:"rate_per_s"`
	// Sent counts the uploads sent; each ended OK (acknowledged: stored
	// durably), Failed or Indeterminate.
	Sent          int `json:"sent"`
	OK            int `json:"ok"`
	Failed        int `json:"failed"`
	Indeterminate int `json:"indeterminate"`
	// Listed is how many uploads the app listed at read-back; Verified how
	// many acknowledged ones were among them with the content sent.
	Listed   int `json:"listed"`
	Verified int `json:"verified"`
	// Lost counts the acknowledged uploads missing at read-back or found
	// with other content (WrongContent of them); they count as lost writes
	// (the lost_writes objective, the RPO). Null when the read-back could
	// not be made; ReadBackError says why. LostIDs are ordered by seq and
	// capped like the writes' lost ids.
	Lost          *int     `json:"lost"`
	LostIDs       []string `json:"lost_ids,omitempty"`
	WrongContent  int      `json:"wrong_content"`
	ReadBackError string   `json:"read_back_error,omitempty"`
	// ScheduleLag is Sent − Due over the uploads; null when none was sent.
	ScheduleLag *ScheduleLag `json:"schedule_lag"`
}
