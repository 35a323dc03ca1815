# mk/image.mk - the container image (Dockerfile).
#   make image-context  the build stage replayed on exactly what .dockerignore admits, no
#                       engine needed (also part of `make test`: the deploy suite)
#   make image          builds the real image with docker (when a daemon answers) or podman
#                       (installed with apt-get when missing), making the Debian base images
#                       with debootstrap when no registry is reachable (scripts/image)
#   make image-test     builds it, starts it against a local Firestore emulator and calls
#                       cleanupStaleJobs through it
# IMAGE_TAG names the image; IMAGE_ENGINE=docker|podman forces an engine.
IMAGE_TAG ?= localhost/transform-pipeline/functions:dev

.PHONY: image image-test image-context
image-context: $(BUILD)/tests/deploy ## the image build replayed on exactly the files .dockerignore admits, then --list
	@$(BUILD)/tests/deploy --filter 'image_context/*'

image: ## the real container image with docker or podman (Debian base made with debootstrap when no registry answers)
	@scripts/image build $(IMAGE_TAG)

image-test: image ## start the image against a Firestore emulator and call cleanupStaleJobs through it
	@scripts/image test $(IMAGE_TAG)
