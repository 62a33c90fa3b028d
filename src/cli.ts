// placeholder: replaced by the commander wiring
console.log('mlr 0.1.0');
