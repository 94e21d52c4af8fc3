package zoo

func buildInceptionV3(b *builder) error  { return nil }
func buildMobileNetV1(b *builder) error  { return nil }
func buildMobileNetV2(b *builder) error  { return nil }
func buildMobileNetV3(b *builder) error  { return nil }
func buildEfficientNet(b *builder) error { return nil }
