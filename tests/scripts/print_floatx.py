import theano
print(theano.config.floatX)
