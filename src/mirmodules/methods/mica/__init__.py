"""MICA (Yang 2020): convolutional autoencoder codes, K-means, and the cluster-pair join."""
