// Command tiles_client checks a trace log from its C2SP tlog-tiles alone, with Go's own
// implementations: golang.org/x/mod/sumdb/note opens the checkpoint with the log's
// verifier key, and golang.org/x/mod/sumdb/tlog reads the hash tiles (checking each
// against the checkpoint's root as it reads it) and proves every entry's leaf in the tree.
//
// Usage: tiles_client BASE_URL VERIFIER_KEY
//
// It fetches BASE_URL/checkpoint, then every entry bundle and the hash tiles the proofs
// need, and prints one JSON object: the checkpoint's origin, size and root, and each entry
// (hex) in log order, every one of which it proved. Any failure exits non-zero, saying why.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tlog-tiles fixes the tile height at 8.
const height = 8

var client = &http.Client{Timeout: 30 * time.Second}

// tilesPath turns Go's tile path (tile/8/0/x001/234.p/5, tile/8/data/…) into the one
// tlog-tiles serves (tile/0/x001/234.p/5, tile/entries/…): the same encoding of N and W,
// without the height and with "entries" for data.
func tilesPath(t tlog.Tile) string {
	rest := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", height))
	if t.L == -1 {
		rest = "entries/" + strings.TrimPrefix(rest, "data/")
	}
	return "tile/" + rest
}

func fetch(base, path string) ([]byte, error) {
	answer, err := client.Get(base + "/" + path)
	if err != nil {
		return nil, err
	}
	defer answer.Body.Close()
	body, err := io.ReadAll(answer.Body)
	if err != nil {
		return nil, err
	}
	if answer.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /%s: %s: %s", path, answer.Status, body)
	}
	return body, nil
}

// httpTiles is a tlog.TileReader over HTTP. It keeps the tiles tlog has checked against
// the checkpoint (SaveTiles), so that each is fetched once.
type httpTiles struct {
	base  string
	saved map[tlog.Tile][]byte
}

func (r *httpTiles) Height() int { return height }

func (r *httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, t := range tiles {
		if saved, ok := r.saved[t]; ok {
			data[i] = saved
			continue
		}
		body, err := fetch(r.base, tilesPath(t))
		if err != nil {
			return nil, err
		}
		data[i] = body
	}
	return data, nil
}

func (r *httpTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, t := range tiles {
		r.saved[t] = data[i]
	}
}

// checkpoint is the body of a C2SP tlog-checkpoint: origin, size, root hash.
type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func parseCheckpoint(text string) (checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return checkpoint{}, fmt.Errorf("a checkpoint has origin, size and root lines: %q", text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return checkpoint{}, fmt.Errorf("bad tree size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return checkpoint{}, fmt.Errorf("bad root hash %q", lines[2])
	}
	var hash tlog.Hash
	copy(hash[:], root)
	return checkpoint{lines[0], tlog.Tree{N: size, Hash: hash}}, nil
}

// entries splits an entry bundle: each entry is a big-endian uint16 length, then its bytes.
func entries(bundle []byte) ([][]byte, error) {
	var out [][]byte
	for len(bundle) > 0 {
		if len(bundle) < 2 {
			return nil, fmt.Errorf("an entry's length is cut off")
		}
		n := int(binary.BigEndian.Uint16(bundle))
		if len(bundle) < 2+n {
			return nil, fmt.Errorf("an entry of %d bytes runs past the bundle", n)
		}
		out = append(out, bundle[2:2+n])
		bundle = bundle[2+n:]
	}
	return out, nil
}

type report struct {
	Origin  string   `json:"origin"`
	Size    int64    `json:"size"`
	Root    string   `json:"root"`
	Entries []string `json:"entries"`
	Tiles   []string `json:"tiles"`
}

func run(base, vkey string) (*report, error) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %v", err)
	}
	signed, err := fetch(base, "checkpoint")
	if err != nil {
		return nil, err
	}
	opened, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil {
		return nil, fmt.Errorf("checkpoint signature: %v", err)
	}
	head, err := parseCheckpoint(opened.Text)
	if err != nil {
		return nil, err
	}
	if head.origin != verifier.Name() {
		return nil, fmt.Errorf("checkpoint of %q signed by the key of %q", head.origin, verifier.Name())
	}
	tree := head.tree
	reader := &httpTiles{base, map[tlog.Tile][]byte{}}
	hashes := tlog.TileHashReader(tree, reader)
	out := &report{Origin: head.origin, Size: tree.N, Root: base64.StdEncoding.EncodeToString(tree.Hash[:])}
	for _, t := range tlog.NewTiles(height, 0, tree.N) {
		out.Tiles = append(out.Tiles, tilesPath(t))
	}
	for start := int64(0); start < tree.N; start += 1 << height {
		width := tree.N - start
		if width > 1<<height {
			width = 1 << height
		}
		bundle := tlog.Tile{H: height, L: -1, N: start >> height, W: int(width)}
		out.Tiles = append(out.Tiles, tilesPath(bundle))
		data, err := fetch(base, tilesPath(bundle))
		if err != nil {
			return nil, err
		}
		found, err := entries(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", tilesPath(bundle), err)
		}
		if int64(len(found)) != width {
			return nil, fmt.Errorf("%s holds %d entries, not %d", tilesPath(bundle), len(found), width)
		}
		for i, entry := range found {
			index := start + int64(i)
			proof, err := tlog.ProveRecord(tree.N, index, hashes)
			if err != nil {
				return nil, fmt.Errorf("proof of entry %d: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(entry)); err != nil {
				return nil, fmt.Errorf("entry %d is not in the tree: %v", index, err)
			}
			out.Entries = append(out.Entries, hex.EncodeToString(entry))
		}
	}
	return out, nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tiles_client BASE_URL VERIFIER_KEY")
		os.Exit(2)
	}
	out, err := run(strings.TrimSuffix(os.Args[1], "/"), os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "tiles_client:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
