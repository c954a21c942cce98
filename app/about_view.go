package app

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// renderAbout explains the experiment, how to read the results, and the
// dataset's licence and attribution.
func renderAbout() app.UI {
	return app.Div().Class("view about prose").Body(
		app.H1().Text("About warmstart"),
		app.P().Text("warmstart shows, with real numbers, what unsupervised pretraining buys when labels are scarce. "+
			"It reproduces a published Keras experiment and goes beyond it, entirely in your browser: "+
			"the training runs in Go compiled to WebAssembly, in a background worker."),

		app.H2().Text("The experiment"),
		app.Ol().Body(
			app.Li().Body(
				app.Strong().Text("Baseline. "),
				app.Text("A small CNN (two 3×3 convolutions with stride 2, a dense layer of 100, 41,630 weights) "+
					"trains from scratch on 1,800 labelled images."),
			),
			app.Li().Body(
				app.Strong().Text("Denoising autoencoder. "),
				app.Text("The same two convolutions, followed by a decoder, learn to remove Gaussian noise "+
					"(σ = 0.2) from 57,000 images whose labels are never used."),
			),
			app.Li().Body(
				app.Strong().Text("Pretrained CNN. "),
				app.Text("The autoencoder's trained encoder, frozen, goes under the same dense head, "+
					"which trains on the same 1,800 labels, with the same initial weights and batch order as the baseline."),
			),
			app.Li().Body(
				app.Strong().Text("Fine-tuning. "),
				app.Text("Beyond the original study: the encoder is unfrozen and the whole pretrained CNN trains "+
					"10 more epochs at a learning rate of 0.00001. The baseline gets no extra epochs."),
			),
		),
		app.P().Text("The labelled images (1,800 train, 600 validation, 600 test, stratified by class) come from the "+
			"10,000 test images of Fashion-MNIST, the unlabelled ones from its 60,000 training images, so the two pools "+
			"share no image. Every split and every random number comes from the seed."),

		app.H2().Text("Reading the results"),
		app.Ul().Body(
			app.Li().Text("Accuracy: the share of images classified right. With 600 test images, one image is "+
				"0.17 points and a 95% interval is about ±3.6 points, so a difference of a point or two is noise."),
			app.Li().Text("The paired comparison counts the test images that exactly one of two classifiers gets "+
				"right; McNemar's exact test turns those counts into a p-value. Below 0.05, the difference is "+
				"unlikely to be chance."),
			app.Li().Text("Confusion matrices: row = true class, column = predicted class. A strong diagonal is good; "+
				"bright cells off it are the classes the model mixes up, most often Shirt with T-shirt/top, Pullover and Coat."),
			app.Li().Text("Per-class accuracy picks out Shirt (class 6), which the published run got right only 6 times "+
				"in 68 from scratch and 22 times with pretraining."),
			app.Li().Text("The autoencoder's images show the clean validation image, the noisy one it received, "+
				"and its reconstruction."),
			app.Li().Text("One run is one seed: run a few seeds before concluding. The command-line version runs many "+
				"seeds quickly (see the README)."),
		),

		app.H2().Text("The dataset"),
		app.P().Body(
			app.Text("Fashion-MNIST is by Han Xiao, Kashif Rasul and Roland Vollgraf (Zalando Research), released "+
				"under the MIT License: "),
			app.Cite().Text("Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms"),
			app.Text(", arXiv:1708.07747, 2017. "),
			app.A().Href("https://github.com/zalandoresearch/fashion-mnist").Text("github.com/zalandoresearch/fashion-mnist"),
			app.Text(". Its 70,000 grayscale images of 28×28 pixels show ten kinds of garment: T-shirt/top, Trouser, "+
				"Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag and Ankle boot. This site serves the four original "+
				"files unchanged; your browser checks each one's SHA-256 and keeps it for the next visit."),
		),
		app.P().Body(
			app.Text("Fashion-MNIST is Copyright © 2017 Zalando SE (https://tech.zalando.com); the full text of its "+
				"MIT License is in the dataset's repository, in the file "),
			app.A().Href("https://github.com/zalandoresearch/fashion-mnist/blob/master/LICENSE").Text("LICENSE"),
			app.Text("."),
		),

		app.H2().Text("Privacy"),
		app.P().Text("Nothing leaves your browser: training, results, drawings and uploaded pictures stay on this "+
			"device. Results and the dataset are kept in the browser's storage; clearing the site's data removes them."),

		app.H2().Text("Source"),
		app.P().Text("warmstart is free software under the MIT License. The same Go code trains headless from the "+
			"command line (warmstart experiment) and writes a Markdown report with plots."),
	)
}
