package hdf5

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// DefaultMaxDatasetBytes is the largest dataset (in its stored element type)
// that Read methods accept unless Options says otherwise.
const DefaultMaxDatasetBytes = 1 << 31

// maxMetadataBlock bounds any single metadata structure read from a file.
const maxMetadataBlock = 1 << 26

// Options tunes limits that protect against hostile files.
type Options struct {
	// MaxDatasetBytes bounds the bytes a single dataset read may allocate
	// (element count times stored element size). Zero means DefaultMaxDatasetBytes.
	MaxDatasetBytes int64
}

// Error is returned for every failure; it names the file and the object path.
type Error struct {
	File string // the file name given to Open, or "<reader>"
	Path string // the object path inside the file, "/" for the root
	Err  error  // the cause
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("hdf5 %s: %s: %v", e.File, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// File is an open HDF5 file. It is safe for use by one goroutine at a time.
type File struct {
	r       io.ReaderAt
	size    int64
	name    string
	closer  io.Closer
	opts    Options
	sbVer   int
	offSize int
	lenSize int
	base    uint64 // absolute position that addresses are relative to
	rootAdr uint64

	headers   map[uint64]*objectHeader
	gheaps    map[uint64][]byte
	linkCache map[uint64][]link
}

// Open opens the HDF5 file at path.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Path: "/", Err: err}
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, &Error{File: path, Path: "/", Err: err}
	}
	f, err := newFile(fh, st.Size(), path, Options{})
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.closer = fh
	return f, nil
}

// OpenReader reads an HDF5 file of the given size from r.
func OpenReader(r io.ReaderAt, size int64) (*File, error) {
	return OpenReaderOptions(r, size, Options{})
}

// OpenReaderOptions is OpenReader with explicit limits.
func OpenReaderOptions(r io.ReaderAt, size int64, opts Options) (*File, error) {
	return newFile(r, size, "<reader>", opts)
}

func newFile(r io.ReaderAt, size int64, name string, opts Options) (*File, error) {
	if opts.MaxDatasetBytes <= 0 {
		opts.MaxDatasetBytes = DefaultMaxDatasetBytes
	}
	f := &File{r: r, size: size, name: name, opts: opts,
		headers: map[uint64]*objectHeader{}, gheaps: map[uint64][]byte{}, linkCache: map[uint64][]link{}}
	if err := f.readSuperblock(); err != nil {
		return nil, f.errorf("/", "superblock: %w", err)
	}
	return f, nil
}

// Close closes the underlying file when the File came from Open.
func (f *File) Close() error {
	if f.closer != nil {
		err := f.closer.Close()
		f.closer = nil
		return err
	}
	return nil
}

// Name returns the file name given to Open ("<reader>" for OpenReader).
func (f *File) Name() string { return f.name }

// SuperblockVersion returns the version of the file's superblock (0 to 3).
func (f *File) SuperblockVersion() int { return f.sbVer }

func (f *File) errorf(path, format string, args ...any) error {
	return f.wrap(path, fmt.Errorf(format, args...))
}

// wrap attaches the file and path to err unless it already names them.
func (f *File) wrap(path string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{File: f.name, Path: path, Err: err}
}

// readAbs reads n bytes at absolute file position pos.
func (f *File) readAbs(pos, n uint64) ([]byte, error) {
	if n > maxMetadataBlock && n > uint64(f.opts.MaxDatasetBytes) {
		return nil, fmt.Errorf("read of %d bytes at %d exceeds the size limit", n, pos)
	}
	if pos > uint64(f.size) || n > uint64(f.size)-pos {
		return nil, fmt.Errorf("read of %d bytes at %d runs past the end of the file (%d bytes)", n, pos, f.size)
	}
	b := make([]byte, n)
	if n == 0 {
		return b, nil
	}
	m, err := f.r.ReadAt(b, int64(pos))
	if m == len(b) {
		return b, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("reading %d bytes at %d: %w", n, pos, err)
}

// readInto fills buf from file address addr (bounds already checked by the
// caller against the file size are checked again here).
func (f *File) readInto(addr uint64, buf []byte) error {
	n := uint64(len(buf))
	if addr > uint64(f.size) || f.base > uint64(f.size)-addr || n > uint64(f.size)-f.base-addr {
		return fmt.Errorf("read of %d bytes at %d runs past the end of the file (%d bytes)", n, addr, f.size)
	}
	m, err := f.r.ReadAt(buf, int64(f.base+addr))
	if m == len(buf) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading %d bytes at %d: %w", n, addr, err)
}

// readAt reads n bytes at file address addr (relative to the base address).
func (f *File) readAt(addr, n uint64) ([]byte, error) {
	if addr == undefAddr {
		return nil, errors.New("read at undefined address")
	}
	if addr > uint64(f.size) || f.base > uint64(f.size)-addr {
		return nil, fmt.Errorf("address %d past the end of the file (%d bytes)", addr, f.size)
	}
	return f.readAbs(f.base+addr, n)
}

// readUpTo reads at most n bytes at addr, fewer where the file ends first.
func (f *File) readUpTo(addr, n uint64) ([]byte, error) {
	if addr == undefAddr || addr > uint64(f.size) || f.base > uint64(f.size)-addr {
		return nil, fmt.Errorf("address %d outside the file (%d bytes)", addr, f.size)
	}
	avail := uint64(f.size) - f.base - addr
	if n > avail {
		n = avail
	}
	return f.readAbs(f.base+addr, n)
}

var signature = []byte("\x89HDF\r\n\x1a\n")

func (f *File) readSuperblock() error {
	pos := int64(-1)
	for p := int64(0); p+8 <= f.size; p = nextSBPos(p) {
		b, err := f.readAbs(uint64(p), 8)
		if err != nil {
			return err
		}
		if string(b) == string(signature) {
			pos = p
			break
		}
	}
	if pos < 0 {
		return errors.New("no HDF5 signature found")
	}
	head, err := f.readAbs(uint64(pos), min(uint64(f.size-pos), 256))
	if err != nil {
		return err
	}
	if len(head) < 16 {
		return errShort
	}
	f.sbVer = int(head[8])
	switch f.sbVer {
	case 0, 1:
		f.offSize, f.lenSize = int(head[13]), int(head[14])
	case 2, 3:
		f.offSize, f.lenSize = int(head[9]), int(head[10])
	default:
		return fmt.Errorf("unsupported superblock version %d", f.sbVer)
	}
	if !validSize(f.offSize) || !validSize(f.lenSize) {
		return fmt.Errorf("unsupported address/length sizes %d/%d", f.offSize, f.lenSize)
	}
	d := f.decoder(head)
	if f.sbVer <= 1 {
		d.skip(16)
		d.skip(4) // group leaf K, internal K
		d.skip(4) // consistency flags
		if f.sbVer == 1 {
			d.skip(4) // indexed storage K, reserved
		}
		d.addr() // base address (see setBase)
		d.addr() // free-space info
		d.addr() // end of file
		d.addr() // driver info
		// root group symbol table entry
		d.length() // link name offset
		root := d.addr()
		if d.err != nil {
			return d.err
		}
		f.setBase(pos)
		f.rootAdr = root
		return nil
	}
	d.skip(12)
	d.addr() // base address (see setBase)
	d.addr() // superblock extension
	d.addr() // end of file
	root := d.addr()
	n := d.off
	d.skip(4)
	if d.err != nil {
		return d.err
	}
	if err := verifyChecksum(head[:n+4], "superblock"); err != nil {
		return err
	}
	f.setBase(pos)
	f.rootAdr = root
	return nil
}

// setBase follows the HDF5 library, which makes addresses relative to the
// superblock's position whatever base address the superblock stores
// (h5py's user blocks put the superblock at 512, 1024, ...).
func (f *File) setBase(pos int64) {
	f.base = uint64(pos)
}

func nextSBPos(p int64) int64 {
	if p == 0 {
		return 512
	}
	return p * 2
}

func validSize(n int) bool { return n == 2 || n == 4 || n == 8 }
