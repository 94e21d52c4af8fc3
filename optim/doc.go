// Package optim updates a network's trainable parameters from their
// gradients: the optimizers SGD (momentum, dampening, Nesterov), Adam,
// AdamW and RMSprop, with the exact update rules of torch.optim (PyTorch
// 1.13) so that recipes and hyperparameters carry over; parameter groups
// with their own learning-rate ratio and weight decay (discriminative
// learning rates); gradient clipping by global norm and by value; learning
// rate schedules (constant, step, exponential, cosine with linear warm-up,
// one-cycle, reduce-on-plateau); and a versioned binary state format so a
// run can stop and resume bit for bit.
//
// An optimizer holds one base learning rate. Each group's rate is the base
// rate times the group's LRScale, so a schedule that sets the base rate
// keeps the ratios between groups:
//
//	head := optim.Group{Params: headParams}
//	body := optim.Group{Params: baseParams, LRScale: 0.1}
//	opt, err := optim.NewAdamW(optim.DefaultAdamWConfig(1e-3), head, body)
//	sched := optim.WarmupCosine{BaseLR: 1e-3, WarmupSteps: 100, TotalSteps: 3000}
//	for t := 0; t < 3000; t++ {
//		// forward, backward ...
//		opt.SetLR(sched.LR(t))
//		opt.Step()
//		opt.ZeroGrad()
//	}
//
// Parameters with Trainable false or a nil Grad are skipped by Step, as
// torch skips parameters whose grad is None.
package optim
