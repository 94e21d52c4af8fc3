package train

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"time"
)

// pageData is what the report template renders.
type pageData struct {
	Title, Model, Generated string
	Images, Classes, Epochs int
	Accuracy, Top5, MacroF1 string
	Loss                    string
	Best                    *EpochLog
	Config                  []ReportSetting
	History                 []EpochLog
	LossPNG, AccPNG, CMPNG  template.URL
	PerClass                []ClassMetrics
	Confusion               *Confusion
	Worst                   []thumbView
}

type thumbView struct {
	thumbnail
	Src template.URL
}

// dataURI embeds an image of the given MIME type in the page.
func dataURI(mime string, b []byte) template.URL {
	if b == nil {
		return ""
	}
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b))
}

// reportPage renders report.html: everything inline, no external links.
func reportPage(r ReportInput, pngs map[string][]byte, thumbs []thumbnail) ([]byte, error) {
	ev := r.Eval
	d := pageData{Title: r.Title, Model: r.Model, Generated: time.Now().Format("2006-01-02 15:04"),
		Images: ev.Confusion.Total(), Classes: len(ev.Confusion.Classes), Epochs: len(r.History),
		Accuracy: pct(ev.Accuracy()), Top5: pct(ev.Top5), MacroF1: fmt.Sprintf("%.3f", ev.Confusion.MacroF1()),
		Loss: fmt.Sprintf("%.4f", ev.Loss), Config: r.Config, History: r.History,
		LossPNG: dataURI("image/png", pngs[LossPNG]), AccPNG: dataURI("image/png", pngs[AccuracyPNG]), CMPNG: dataURI("image/png", pngs[ConfusionPNG]),
		PerClass: ev.Confusion.PerClass(), Confusion: ev.Confusion}
	if len(r.History) > 0 {
		best := r.History[0]
		for _, l := range r.History {
			if l.ValAcc > best.ValAcc {
				best = l
			}
		}
		d.Best = &best
	}
	for _, t := range thumbs {
		d.Worst = append(d.Worst, thumbView{thumbnail: t, Src: dataURI("image/jpeg", t.JPEG)})
	}
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func pct(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": pct,
	"f3":  func(v float64) string { return fmt.Sprintf("%.3f", v) },
	"f4":  func(v float64) string { return fmt.Sprintf("%.4f", v) },
	"lr":  func(v float64) string { return fmt.Sprintf("%.3g", v) },
	"sec": func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"cell": func(cm *Confusion, i, j int) string {
		if v := cm.Counts[i][j]; v != 0 {
			return fmt.Sprint(v)
		}
		return ""
	},
	"cls": func(i, j int) string {
		if i == j {
			return "diag"
		}
		return ""
	},
}).Parse(reportHTML))

const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #212529; margin: 0; background: #f6f7f9; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid #dee2e6; padding-bottom: 4px; }
.sub { color: #6c757d; margin: 0 0 18px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #dee2e6; border-radius: 8px; padding: 10px 16px; min-width: 120px; }
.card b { display: block; font-size: 22px; }
.card span { color: #6c757d; font-size: 13px; }
table { border-collapse: collapse; background: #fff; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #dee2e6; padding: 3px 9px; text-align: right; }
th { background: #eef0f3; }
td.l, th.l { text-align: left; }
tr.best td { background: #e7f5e9; font-weight: 600; }
td.diag { background: #dbe8f6; font-weight: 600; }
.scroll { overflow-x: auto; }
img.chart { max-width: 100%; border: 1px solid #dee2e6; background: #fff; display: block; margin: 8px 0; }
.worst { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; background: #fff; border: 1px solid #dee2e6; border-radius: 8px; padding: 8px; width: 150px; font-size: 13px; }
figure img { display: block; margin: 0 auto 6px; max-width: 128px; max-height: 128px; }
figcaption .bad { color: #c92a2a; }
figcaption .name { color: #6c757d; word-break: break-all; }
</style>
</head>
<body><main>
<h1>{{.Title}}</h1>
<p class="sub">{{if .Model}}{{.Model}} &middot; {{end}}{{.Images}} images, {{.Classes}} classes &middot; generated {{.Generated}}</p>
<div class="cards">
<div class="card"><b>{{.Accuracy}}</b><span>accuracy</span></div>
<div class="card"><b>{{.Top5}}</b><span>top-5 accuracy</span></div>
<div class="card"><b>{{.MacroF1}}</b><span>macro F1</span></div>
<div class="card"><b>{{.Loss}}</b><span>cross-entropy loss</span></div>
{{with .Best}}<div class="card"><b>{{.Phase}} {{.Epoch}}</b><span>best epoch (validation accuracy {{pct .ValAcc}})</span></div>{{end}}
</div>
{{if .Config}}
<h2>Configuration</h2>
<table>{{range .Config}}<tr><th class="l">{{.Name}}</th><td class="l">{{.Value}}</td></tr>{{end}}</table>
{{end}}
{{if .History}}
<h2>Learning curves</h2>
<img class="chart" alt="loss per epoch" src="{{.LossPNG}}">
<img class="chart" alt="accuracy per epoch" src="{{.AccPNG}}">
<h2>Metrics per epoch</h2>
<div class="scroll"><table>
<tr><th class="l">phase</th><th>epoch</th><th>step</th><th>learning rate</th><th>train loss</th><th>train accuracy</th><th>validation loss</th><th>validation accuracy</th><th>seconds</th></tr>
{{$best := .Best}}{{range .History}}<tr{{if and $best (eq .Phase $best.Phase) (eq .Epoch $best.Epoch)}} class="best"{{end}}><td class="l">{{.Phase}}</td><td>{{.Epoch}}</td><td>{{.Step}}</td><td>{{lr .LR}}</td><td>{{f4 .TrainLoss}}</td><td>{{pct .TrainAcc}}</td><td>{{f4 .ValLoss}}</td><td>{{pct .ValAcc}}</td><td>{{sec .Seconds}}</td></tr>
{{end}}</table></div>
{{end}}
<h2>Per-class metrics</h2>
<div class="scroll"><table>
<tr><th class="l">class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>predicted</th></tr>
{{range .PerClass}}<tr><td class="l">{{.Class}}</td><td>{{f3 .Precision}}</td><td>{{f3 .Recall}}</td><td>{{f3 .F1}}</td><td>{{.Support}}</td><td>{{.Predicted}}</td></tr>
{{end}}</table></div>
<h2>Confusion matrix</h2>
<img class="chart" alt="confusion matrix" src="{{.CMPNG}}">
{{$cm := .Confusion}}
<div class="scroll"><table>
<tr><th class="l">true \ predicted</th>{{range $cm.Classes}}<th>{{.}}</th>{{end}}</tr>
{{range $i, $row := $cm.Counts}}<tr><th class="l">{{index $cm.Classes $i}}</th>{{range $j, $v := $row}}<td class="{{cls $i $j}}">{{cell $cm $i $j}}</td>{{end}}</tr>
{{end}}</table></div>
{{if .Worst}}
<h2>Worst predictions</h2>
<p class="sub">The images with the lowest probability on their true class.</p>
<div class="worst">
{{range .Worst}}<figure><img alt="{{.Name}}" src="{{.Src}}"><figcaption>true <b>{{.True}}</b> ({{pct .PTrue}})<br><span class="{{if ne .True .Pred}}bad{{end}}">predicted <b>{{.Pred}}</b> ({{pct .PPred}})</span><br><span class="name">{{.Name}}</span></figcaption></figure>
{{end}}</div>
{{end}}
</main></body>
</html>
`
