package main

import (
	"io"
)

func init() {
	register(&command{name: "inspect", summary: "describe a model file: format, input, layers, parameters", run: runInspect})
}

const inspectHelp = `Usage:
  graft inspect [--arch NAME] FILE|NAME

Describes a model: its format (detected from the content), input shape,
preprocessing, outputs, and every layer with its output shape and its
trainable and frozen parameter counts, with totals. For a Graft file it
also shows the labels and training metadata it carries. FILE is any model
file graft reads; NAME is a zoo model whose weights were pulled.

Example:
  graft inspect mobilenet_v2_1.0_224_quant.tflite
  graft inspect pets.graft
  graft inspect --arch resnet18 resnet18-f37072fd.pth
`

func runInspect(e *env, args []string) error {
	fs := e.flags("inspect", inspectHelp)
	mf := addModelFlags(fs)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usagef("inspect", "name the model file to inspect")
	case len(pos) > 1:
		return usagef("inspect", "one model at a time, got %d", len(pos))
	}
	l, err := mf.open(e, pos[0], false)
	if err != nil {
		return err
	}
	s, err := l.Summary()
	io.WriteString(e.stdout, s)
	return err
}
